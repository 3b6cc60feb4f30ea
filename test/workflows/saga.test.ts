import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Activities } from '../../src/activities/index.js';
import type { DeploymentReport } from '../../src/shared/report.js';
import type { StepName } from '../../src/shared/steps.js';

/**
 * The saga on a real Temporal server with recording stubs: which undo runs, in which order,
 * for a failure at every step. The real activities are proven by test/integration.
 */

type Calls = StepName[];

const release = (commit: string, name: string) => ({ commit, name, manifest: { requiredEnv: [], requiredPackages: [], expect: { tables: [], columns: [] }, checks: [] }, migrations: [] });
const target = { app: 'farm-chat', environment: 'production', appDir: '/srv/farm-chat', gitRemote: 'origin', database: { urlEnv: 'DB_URL', appEnvName: 'DATABASE_URL', maintenanceDatabase: 'postgres' }, commands: { install: ['npm', 'ci'], build: [], restart: ['systemctl', 'restart', 'farm-chat'] }, requiredEnv: [], requiredPackages: [] };

function stubActivities(calls: Calls, failAt: StepName | undefined, opts: { blockAt?: StepName } = {}): Activities {
  const step = async <T>(name: StepName, value: T): Promise<T> => {
    calls.push(name);
    if (opts.blockAt === name) {
      // Like a long migration: heartbeats until the workflow cancels it.
      for (;;) {
        Context.current().heartbeat();
        await Context.current().sleep(100);
      }
    }
    if (failAt === name) {
      throw ApplicationFailure.create({ type: 'StubFailure', message: `[${name}] failed on purpose`, nonRetryable: true, details: name === 'verify' ? [{ checks: [{ name: 'login', kind: 'http', ok: false, detail: '500' }] }] : [] });
    }
    return value;
  };
  const stubs = {
    loadConfig: async (request: { ref: string }) => step('load-config', { request: { ...request, dryRun: false }, target }),
    checkTools: async () => step('check-tools', { versions: { pg_dump: 'pg_dump 15' }, pgDumpMajor: 15 }),
    checkDatabase: async () => step('check-database', { serverVersion: '15', serverMajor: 15, sizeBytes: 1000, tables: 2 }),
    resolveRelease: async () => step('resolve-release', { current: release('a'.repeat(40), 'v1'), target: release('b'.repeat(40), 'v2') }),
    checkEnvironment: async () => step('check-environment', { present: [] }),
    checkDisk: async () => step('check-disk', { freeBytes: 10, requiredBytes: 1 }),
    inspectMigrations: async () => step('inspect-migrations', { status: 'clean', statusOutput: '', applied: [], failed: [], pendingForTarget: ['m2'], unknownToTarget: [] }),
    backupDatabase: async () => step('backup', { path: '/b/x.dump', format: 'custom', sizeBytes: 1, sha256: 'f'.repeat(64), archiveEntries: 1, state: { schemaSha256: 's', tables: [{ name: 'public.users', rows: 3, checksum: 'c' }], migrations: [] }, durationMs: 1 }),
    activateRelease: async ({ commit }: { commit: string }) => step(commit.startsWith('a') ? 'reactivate-release' : 'activate-release', { commit, previous: 'x', changed: true }),
    installDependencies: async ({ step: name }: { step: StepName }) => step(name, { commit: 'c', lockfileSha256: 'l', skipped: false, packages: 1, requiredPresent: [] }),
    migrateDatabase: async () => step('migrate', { applied: ['m2'], output: '' }),
    restoreDatabase: async () => step('restore-database', { restored: true, keptAs: 'farm_chat_sd_x_failed', verified: true, tables: 1, durationMs: 1 }),
    restartApplication: async ({ step: name }: { step: StepName }) => step(name, { healthyAfterMs: 1, health: '200' }),
    verifyDeployment: async ({ step: name }: { step: StepName }) => step(name, { checks: [{ name: 'health', kind: 'health', ok: true, detail: '200', durationMs: 1 }] }),
  };
  return stubs as unknown as Activities;
}

let connection: NativeConnection;
let clientConnection: Connection;
let client: Client;

beforeAll(async () => {
  connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  clientConnection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection: clientConnection });
});
afterAll(async () => {
  await connection?.close();
  await clientConnection?.close();
});

async function deploy(failAt: StepName | undefined, opts: { blockAt?: StepName; cancelAfterBlock?: boolean } = {}) {
  const calls: Calls = [];
  const taskQueue = `saga-${randomUUID()}`;
  const worker = await Worker.create({
    connection, taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities: stubActivities(calls, failAt, opts),
    maxHeartbeatThrottleInterval: '100 milliseconds',
  });
  return worker.runUntil(async () => {
    const handle = await client.workflow.start('safeDeployment', { taskQueue, workflowId: `saga-${randomUUID()}`, args: [{ app: 'farm-chat', environment: 'production', ref: 'v2' }] });
    if (opts.cancelAfterBlock) {
      while (!calls.includes(opts.blockAt!)) await new Promise((r) => setTimeout(r, 50));
      await handle.cancel();
    }
    const report = (await handle.result()) as DeploymentReport;
    return { calls, report, handle };
  });
}

const FORWARD: StepName[] = ['load-config', 'check-tools', 'check-database', 'resolve-release', 'check-environment', 'check-disk', 'inspect-migrations', 'backup', 'activate-release', 'install-dependencies', 'migrate', 'restart', 'verify'];
const UNDO_CODE: StepName[] = ['reactivate-release', 'reinstall-dependencies', 'restart-previous', 'verify-rollback'];

describe('safeDeployment saga', () => {
  it('runs every step in order when nothing fails', async () => {
    const { calls, report } = await deploy(undefined);
    expect(calls).toEqual(FORWARD);
    expect(report.outcome).toBe('deployed');
    expect(report.steps.map((s) => s.name)).toEqual(FORWARD);
    expect(report.steps.every((s) => s.status === 'ok' && typeof s.durationMs === 'number')).toBe(true);
    expect(report.migrations).toEqual({ statusBefore: 'clean', pending: ['m2'], applied: ['m2'] });
    expect(report.backup?.sha256).toBe('f'.repeat(64));
  });

  // Failing before anything changed aborts with no compensation at all.
  it.each(['check-tools', 'check-database', 'resolve-release', 'check-environment', 'check-disk', 'inspect-migrations', 'backup'] as StepName[])('aborts when %s fails, undoing nothing', async (failAt) => {
    const { calls, report } = await deploy(failAt);
    expect(calls).toEqual(FORWARD.slice(0, FORWARD.indexOf(failAt) + 1));
    expect(report.outcome).toBe('aborted');
    expect(report.error).toMatchObject({ step: failAt, type: 'StubFailure' });
    expect(report.rollback).toBeUndefined();
  });

  // Once the code can change, every failure rolls back in reverse; the database only once a migration may have run.
  it.each([
    ['activate-release', UNDO_CODE],
    ['install-dependencies', UNDO_CODE],
    ['migrate', ['restore-database', ...UNDO_CODE]],
    ['restart', ['restore-database', ...UNDO_CODE]],
    ['verify', ['restore-database', ...UNDO_CODE]],
  ] as [StepName, StepName[]][])('rolls back when %s fails: %j', async (failAt, undo) => {
    const { calls, report } = await deploy(failAt);
    expect(calls).toEqual([...FORWARD.slice(0, FORWARD.indexOf(failAt) + 1), ...undo]);
    expect(report.outcome).toBe('rolled-back');
    expect(report.steps.filter((s) => s.phase === 'rollback').map((s) => s.name)).toEqual(undo);
    expect(report.rollback).toMatchObject({ verified: true, leftForHumans: [] });
    expect(report.rollback?.reason).toContain(`[${failAt}] failed on purpose`);
    expect(report.rollback?.checks).toEqual([{ name: 'health', kind: 'health', ok: true, detail: '200' }]);
    if (failAt === 'verify') expect(report.checks).toEqual([{ name: 'login', kind: 'http', ok: false, detail: '500' }]);
  });

  it('reports rollback-failed, never success, when restoring the database fails', async () => {
    // migrate fails, then so does the first compensation: the rest must not run.
    const calls: Calls = [];
    const taskQueue = `saga-${randomUUID()}`;
    const stubs = stubActivities(calls, 'migrate') as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    stubs.restoreDatabase = async () => {
      calls.push('restore-database');
      throw ApplicationFailure.create({ type: 'RestoreUnverified', message: '[restore-database] the backup is missing', nonRetryable: true });
    };
    const worker = await Worker.create({ connection, taskQueue, workflowBundle: { codePath: inject('workflowBundlePath') }, activities: stubs });
    const report = await worker.runUntil(async () => {
      const handle = await client.workflow.start('safeDeployment', { taskQueue, workflowId: `saga-${randomUUID()}`, args: [{ app: 'farm-chat', environment: 'production', ref: 'v2' }] });
      return (await handle.result()) as DeploymentReport;
    });
    expect(calls.slice(-2)).toEqual(['migrate', 'restore-database']);
    expect(report.outcome).toBe('rollback-failed');
    expect(report.rollback?.verified).toBe(false);
    expect(report.rollback?.leftForHumans).toHaveLength(5);
    expect(report.rollback?.leftForHumans[0]).toContain('/b/x.dump');
    expect(report.rollback?.leftForHumans[1]).toContain(`git -C /srv/farm-chat checkout --detach ${'a'.repeat(40)}`);
    expect(report.rollback?.leftForHumans[3]).toContain('systemctl restart farm-chat');
  });

  it('rolls back when the deployment is cancelled mid-migration', async () => {
    const { calls, report, handle } = await deploy(undefined, { blockAt: 'migrate', cancelAfterBlock: true });
    expect(calls).toEqual([...FORWARD.slice(0, FORWARD.indexOf('migrate') + 1), 'restore-database', ...UNDO_CODE]);
    expect(report.outcome).toBe('rolled-back');
    expect(report.error?.type).toBe('Cancelled');
    const history = await handle.fetchHistory();
    expect(history.events?.some((e) => e.activityTaskCancelRequestedEventAttributes)).toBe(true);
  });

  it('answers the progress query with the steps so far', async () => {
    const calls: Calls = [];
    const taskQueue = `saga-${randomUUID()}`;
    const worker = await Worker.create({ connection, taskQueue, workflowBundle: { codePath: inject('workflowBundlePath') }, activities: stubActivities(calls, undefined, { blockAt: 'restart' }), maxHeartbeatThrottleInterval: '100 milliseconds' });
    await worker.runUntil(async () => {
      const handle = await client.workflow.start('safeDeployment', { taskQueue, workflowId: `saga-${randomUUID()}`, args: [{ app: 'farm-chat', environment: 'production', ref: 'v2' }] });
      while (!calls.includes('restart')) await new Promise((r) => setTimeout(r, 50));
      const progress = await handle.query('progress');
      expect(progress).toMatchObject({ status: 'running', currentStep: 'restart', app: 'farm-chat', ref: 'v2' });
      expect((progress as { steps: { name: string }[] }).steps.map((s) => s.name)).toEqual(FORWARD.slice(0, FORWARD.indexOf('restart') + 1));
      await handle.cancel();
      await handle.result();
    });
  });

  it('fails the workflow, naming the field, when loadConfig rejects the request', async () => {
    const calls: Calls = [];
    const taskQueue = `saga-${randomUUID()}`;
    const stubs = stubActivities(calls, undefined) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    stubs.loadConfig = async () => {
      throw ApplicationFailure.create({ type: 'InvalidRequest', message: '[load-config] invalid deployment request: request.ref: not a valid git ref', nonRetryable: true });
    };
    const worker = await Worker.create({ connection, taskQueue, workflowBundle: { codePath: inject('workflowBundlePath') }, activities: stubs });
    const err = await worker.runUntil(async () => {
      const handle = await client.workflow.start('safeDeployment', { taskQueue, workflowId: `saga-${randomUUID()}`, args: [{ app: 'farm-chat', environment: 'production', ref: '..' }] });
      return handle.result().catch((e) => e);
    });
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(err.cause).toBeInstanceOf(ApplicationFailure);
    expect(err.cause.type).toBe('InvalidRequest');
    expect(err.cause.message).toContain('request.ref');
    expect(calls).toEqual([]);
  });
});
