import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Context } from '@temporalio/activity';
import { Client, WorkflowFailedError, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureTimeSkippingServer } from '../../scripts/lib/testServer.js';
import { createTemporalActivities } from '../../src/activities/temporal.js';
import { compensationRetry } from '../../src/plan/compensationPolicy.js';
import { historyText } from '../../scripts/lib/secretScan.js';
import { lockWorkflowId } from '../../src/workflows/deploymentLock.js';
import type { Activities } from '../../src/activities/index.js';
import type { DeploymentReport, Progress } from '../../src/shared/report.js';
import type { StepName } from '../../src/shared/steps.js';
import { deploymentResult } from '../../src/cli/deploymentResult.js';

/**
 * The saga on a real Temporal server with recording stubs: which undo runs, in which order,
 * for a failure at every step; the rollback update, the gates, the lock, lost writes and the
 * monitoring window. The real activities are proven by test/integration.
 */

type Calls = string[];

const release = (commit: string, name: string) => ({
  commit,
  name,
  manifest: { requiredEnv: [], requiredPackages: [], expect: { tables: [], columns: [] }, checks: [] },
  migrations: [],
});
const targetFor = (
  environment: string,
  o: { monitorMinutes?: number; policy?: 'stop' | 'detect'; backupMethod?: 'snapshot' } = {},
) => ({
  ...(o.backupMethod ? { backup: { method: o.backupMethod, dump: true } } : {}),
  app: 'farm-chat',
  environment,
  appDir: '/srv/farm-chat',
  gitRemote: 'origin',
  database: { urlEnv: 'DB_URL', appEnvName: 'DATABASE_URL', maintenanceDatabase: 'postgres' },
  commands: { install: ['npm', 'ci'], build: [], restart: ['systemctl', 'restart', 'farm-chat'] },
  writes: { policy: o.policy ?? 'stop', stop: ['appctl', 'maintenance-on'], resume: ['appctl', 'maintenance-off'] },
  monitor: { minutes: o.monitorMinutes ?? 0, interval: '1 second' },
  approval: { timeout: '1 minute' },
  // A failing undo is given up after 2 retries (2 s, 4 s): the tests need not wait 10 minutes.
  rollback: { retryFor: '3 seconds' },
  requiredEnv: [],
  requiredPackages: [],
});

interface StubOptions {
  failAt?: string;
  blockAt?: string;
  monitorMinutes?: number;
  policy?: 'stop' | 'detect';
  /** Rows others write per counter read (lost writes appear when > 0). */
  writesPerRead?: number;
  /** Fail the monitoring window's look number N. */
  failLook?: number;
  environment?: string;
  /** The pending migration's SQL (a DROP makes the lint call it destructive). */
  migrationSql?: string;
  /** What the rehearsal found about the previous release on the migrated copy. */
  compatible?: boolean;
  /** What the rehearsal measured the migration did to existing data (default: nothing). */
  existingDataChanges?: { table: string; what: string; columns: string[] }[];
  dryRun?: boolean;
  /** Every write point says it may be late (an earlier attempt may have let writes in first). */
  uncertainPoint?: string;
  /** Backup method snapshot: copy in the pause, fingerprint beside the release, dump after the pause. */
  backupMethod?: 'snapshot';
  /** How long the snapshot's fingerprint takes (it ends with a `fingerprint-backup:done` call). */
  fingerprintMs?: number;
}

function stubActivities(calls: Calls, o: StubOptions): Activities {
  const environment = o.environment ?? `env-${randomUUID().slice(0, 8)}`;
  const target = targetFor(environment, o);
  let reads = 0;
  const step = async <T>(name: string, value: T): Promise<T> => {
    calls.push(name);
    if (o.blockAt === name) {
      // Like a long migration: heartbeats until the workflow cancels it.
      for (;;) {
        Context.current().heartbeat();
        await Context.current().sleep(100);
      }
    }
    if (o.failAt === name) {
      throw ApplicationFailure.create({
        type: 'StubFailure',
        message: `[${name}] failed on purpose`,
        nonRetryable: true,
        details: name === 'verify' ? [{ checks: [{ name: 'login', kind: 'http', ok: false, detail: '500' }] }] : [],
      });
    }
    return value;
  };
  const counters = () => ({
    at: new Date().toISOString(),
    tables: { 'public.users': 100 + (o.writesPerRead ?? 0) * reads++ },
  });
  // Write points on the same clock: others write `writesPerRead` rows between any two reads.
  const point = (since?: { rows: Record<string, number> }) => {
    const rows = counters().tables;
    const grown = rows['public.users'] - (since?.rows['public.users'] ?? rows['public.users']);
    return {
      at: new Date().toISOString(),
      snapshot: `${reads}:${reads}:`,
      rows,
      ...(since ? { changed: grown > 0 ? { 'public.users': grown } : {} } : {}),
      ...(o.uncertainPoint ? { uncertain: o.uncertainPoint } : {}),
      sleptMs: 0,
      readMs: 1,
    };
  };
  const stubs = {
    loadConfig: async (request: { ref: string }) =>
      step('load-config', {
        request: { ...request, dryRun: o.dryRun ?? false },
        target: {
          ...target,
          rehearsal: {
            enabled: true,
            preferCodeOnly: true,
            ...(o.compatible === undefined
              ? {}
              : { startPrevious: { command: ['node', 'src/server.js'], portEnv: 'PORT', timeout: '30 seconds' } }),
          },
        },
      }),
    registeredSearchAttributes: async () => [],
    describeDeploymentLock: async ({ lockWorkflowId }: { lockWorkflowId: string }) => ({
      gone: false,
      stale: false,
      holderWorkflowId: `holder-of-${lockWorkflowId}`,
    }),
    checkTools: async () => step('check-tools', { versions: { pg_dump: 'pg_dump 15' }, pgDumpMajor: 15 }),
    checkDatabase: async () =>
      step('check-database', { serverVersion: '15', serverMajor: 15, sizeBytes: 1000, tables: 2 }),
    resolveRelease: async () =>
      step('resolve-release', { current: release('a'.repeat(40), 'v1'), target: release('b'.repeat(40), 'v2') }),
    checkEnvironment: async () => step('check-environment', { present: [] }),
    checkDisk: async () => step('check-disk', { freeBytes: 10, requiredBytes: 1 }),
    checkPrismaHazards: async () =>
      step('check-prisma', {
        prisma: { version: '6.19.3', major: 6, source: 'package-lock.json' },
        advisoryLock: { key: 72707369, heldBy: [] },
        pooler: { urlHints: [], probe: 'direct' },
      }),
    inspectMigrationHistory: async () =>
      step('inspect-migrations', {
        status: 'pending',
        statusOutput: '',
        applied: ['m1'],
        failed: [],
        pendingForTarget: ['m2'],
        unknownToTarget: [],
        prismaStatus: 'pending',
        disagreements: [],
        migrations: [
          { name: 'm1', state: 'applied' },
          { name: 'm2', state: 'pending' },
        ],
        pendingSql: [
          { name: 'm2', sql: o.migrationSql ?? 'ALTER TABLE "users" ADD COLUMN "x" TEXT;', truncated: false },
        ],
        targetCommit: 'b'.repeat(40),
      }),
    detectSchemaDrift: async () =>
      step('check-drift', {
        drift: false,
        complete: true,
        differences: [],
        warnings: [],
        replayed: ['m1'],
        schemaDumpSha256: { expected: 'e', actual: 'e' },
        scratchDatabase: 'x',
        durationMs: 1,
      }),
    lintPendingMigrations: async ({ migrations }: { migrations: { name: string; sql: string }[] }) =>
      step('lint-migrations', {
        migrations: migrations.map((m) =>
          m.sql.includes('DROP')
            ? {
                name: m.name,
                severity: 'destructive',
                findings: [
                  {
                    rule: 'drop-column',
                    severity: 'destructive',
                    file: 'f',
                    line: 1,
                    statement: m.sql,
                    message: 'drops a column',
                    safer: 'stop using it first',
                  },
                ],
              }
            : { name: m.name, severity: 'additive', findings: [] },
        ),
      }),
    stageRelease: async ({ commit }: { commit: string }) =>
      step('stage-release', {
        dir: '/work/stage-x',
        commit,
        install: { commit, lockfileSha256: 'l', skipped: false, packages: 1, requiredPresent: [] },
      }),
    // Measured on request (a code-only rollback possible): this migration changed no existing value.
    rehearseMigration: async ({ measureExistingData }: { measureExistingData?: boolean }) =>
      step('rehearse', {
        migrations: [{ name: 'm2', durationMs: 5 }],
        checks: [],
        durationMs: 10,
        ...(o.compatible === undefined
          ? {}
          : { previousReleaseCompatible: o.compatible, compatibility: 'v1 on the copy' }),
        ...(measureExistingData ? { existingDataChanges: o.existingDataChanges ?? [] } : {}),
      }),
    removeStagedRelease: async () => step('remove-staging', { removed: true }),
    removeKeptDependencies: async () => step('prune', { removed: true }),
    pruneBackups: async () => ({ kept: [], removed: [] }),
    stopWrites: async ({ step: name, exact }: { step: string; exact?: boolean }) => {
      const stopped = (o.policy ?? 'stop') === 'stop';
      if (!exact) return step(name, { stopped, counters: counters() });
      const p = point();
      return step(name, { stopped, at: p.at, ...(stopped ? {} : { point: p }) });
    },
    resumeWrites: async ({ step: name, readPoint }: { step: string; readPoint?: boolean }) =>
      step(name, readPoint ? { resumed: true, point: point() } : { resumed: true }),
    countWrites: async ({ step: name }: { step: string }) =>
      name === 'check-lost-writes' ? step(name, counters()) : counters(),
    readWritePoint: async ({ step: name, since }: { step: string; since?: { rows: Record<string, number> } }) =>
      name === 'check-lost-writes' ? step(name, point(since)) : point(since),
    backupDatabase: async () =>
      step('backup', {
        method: 'dump',
        dump: {
          path: '/b/x.dump',
          format: 'custom',
          sizeBytes: 1,
          sha256: 'f'.repeat(64),
          archiveEntries: 1,
          durationMs: 1,
          phasesMs: {},
        },
        state: { schemaSha256: 's', tables: [{ name: 'public.users', rows: 3, checksum: 'c' }], migrations: [] },
        durationMs: 1,
        phasesMs: {},
      }),
    copyDatabaseForBackup: async () =>
      step('backup', { database: 'farm_chat_sd_x_snap', xidBoundary: '700', closedMs: 5, copyMs: 4, durationMs: 6 }),
    fingerprintBackup: async ({ step: name = 'fingerprint-backup' }: { step?: string }) => {
      const facts = await step(name === 'fingerprint-backup' ? name : `fingerprint-backup:${name}`, {
        method: 'snapshot',
        snapshot: {
          database: 'farm_chat_sd_x_snap',
          oid: 1,
          sealXmin: '9',
          strategy: 'FILE_COPY',
          sizeBytes: 1,
          closedMs: 5,
          copyMs: 4,
        },
        state: {
          schemaSha256: 's',
          tables: [{ name: 'public.users', rows: 3, checksum: 'c' }],
          migrations: [],
          xidBoundary: '700',
        },
        durationMs: 1,
        phasesMs: {},
      });
      if (o.fingerprintMs) await Context.current().sleep(o.fingerprintMs);
      calls.push(`${name}:done`);
      return facts;
    },
    dumpBackup: async ({ backup }: { backup: object }) =>
      step('dump-backup', {
        ...backup,
        dump: {
          path: '/b/x.dir',
          format: 'directory',
          sizeBytes: 1,
          sha256: 'e'.repeat(64),
          archiveEntries: 1,
          durationMs: 1,
          phasesMs: {},
        },
      }),
    activateRelease: async ({ commit }: { commit: string }) =>
      step(commit.startsWith('a') ? 'reactivate-release' : 'activate-release', {
        commit,
        previous: 'x',
        changed: true,
      }),
    installDependencies: async ({ step: name }: { step: string }) =>
      step(name, { commit: 'c', lockfileSha256: 'l', skipped: false, packages: 1, requiredPresent: [] }),
    migrateDatabase: async () => step('migrate', { applied: ['m2'], output: '' }),
    restoreDatabase: async () =>
      step('restore-database', {
        restored: true,
        source: 'dump',
        keptAs: 'farm_chat_sd_x_failed',
        verified: true,
        verification: 'full',
        tables: 1,
        closedMs: 1,
        phasesMs: {},
        durationMs: 1,
      }),
    restartApplication: async ({ step: name }: { step: string }) => step(name, { healthyAfterMs: 1, health: '200' }),
    verifyDeployment: async ({
      step: name,
      migrationsMustBeClean,
    }: {
      step: string;
      migrationsMustBeClean?: boolean;
    }) => {
      calls.push(`${name}:${migrationsMustBeClean === false ? 'code-only' : 'clean'}`);
      return step(name, { checks: [{ name: 'health', kind: 'health', ok: true, detail: '200', durationMs: 1 }] });
    },
    monitorOnce: async ({ tick }: { tick: number }) => {
      calls.push(`look-${tick}`);
      if (o.failLook === tick)
        throw ApplicationFailure.create({
          type: 'MonitoringFailed',
          message: `[monitor] look ${tick} failed`,
          nonRetryable: true,
          details: [{ checks: [{ name: 'health', kind: 'health', ok: false, detail: '503' }] }],
        });
      return { checks: [{ name: 'health', kind: 'health', ok: true, detail: '200', durationMs: 1 }] };
    },
  };
  return stubs as unknown as Activities;
}

// Temporal's time-skipping test server: while a test waits for a deployment's result, its timers
// and retry back-offs (the undos' 2 s and 4 s) pass at once; while `during` acts, time runs as usual.
let env: TestWorkflowEnvironment;
let client: Client;

beforeAll(async () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const path = ensureTimeSkippingServer(root, (line) => console.log(`[saga] ${line}`));
  // Without a binary, the SDK downloads its own test server (where the network allows).
  env = await TestWorkflowEnvironment.createTimeSkipping(
    path ? { server: { executable: { type: 'existing-path', path } } } : {},
  );
  client = env.client;
}, 120_000);
afterAll(async () => env?.teardown());

const until = async (what: () => boolean) => {
  while (!what()) await new Promise((r) => setTimeout(r, 50));
};

/** Runs one deployment on a worker with stubs; `during` may act on it while it runs. */
async function deploy(
  o: StubOptions = {},
  during?: (h: WorkflowHandle, calls: Calls) => Promise<void>,
  activities?: (calls: Calls) => Activities,
) {
  const calls: Calls = [];
  const taskQueue = `saga-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities: activities?.(calls) ?? stubActivities(calls, o),
    maxHeartbeatThrottleInterval: '100 milliseconds',
  });
  return worker.runUntil(async () => {
    const handle = await client.workflow.start('safeDeployment', {
      taskQueue,
      workflowId: `saga-${randomUUID()}`,
      args: [{ app: 'farm-chat', environment: 'production', ref: 'v2' }],
    });
    await during?.(handle, calls);
    const report = await deploymentResult(handle);
    return { calls, report, handle };
  });
}

// Report steps; the activity calls are the same without 'lock' (a child workflow, not an activity).
const FORWARD: StepName[] = [
  'load-config',
  'lock',
  'check-tools',
  'check-database',
  'resolve-release',
  'check-environment',
  'check-disk',
  'check-prisma',
  'inspect-migrations',
  'check-drift',
  'lint-migrations',
  'stage-release',
  'rehearse',
  'stop-writes',
  'backup',
  'activate-release',
  'install-dependencies',
  'migrate',
  'restart',
  'verify',
  'resume-writes',
  'remove-staging',
  'prune',
];
const CALLS = FORWARD.filter((s) => s !== 'lock').flatMap((c) =>
  c === 'verify' ? ['verify:clean', 'verify'] : [c],
) as string[];
const callsUpTo = (s: string) => CALLS.slice(0, CALLS.lastIndexOf(s) + 1);
/** The staged copy (in place, kept until its install is moved in) removed once the deployment fails. */
const UNSTAGE = ['remove-staging'];
const UNDO_CODE = [
  'reactivate-release',
  'reinstall-dependencies',
  'restart-previous',
  'verify-rollback:clean',
  'verify-rollback',
];
const RESTORE = ['restore-database'];
const RESUME = ['resume-writes-after-rollback'];

describe('safeDeployment saga', () => {
  it('runs every step in order when nothing fails', async () => {
    const { calls, report } = await deploy();
    expect(calls).toEqual(CALLS);
    expect(report.outcome).toBe('deployed');
    expect(report.steps.map((s) => s.name)).toEqual(FORWARD);
    expect(report.steps.every((s) => s.status === 'ok' && typeof s.durationMs === 'number')).toBe(true);
    expect(report.migrations).toEqual({ statusBefore: 'pending', pending: ['m2'], applied: ['m2'] });
    expect(report.backup?.sha256).toBe('f'.repeat(64));
    expect(report.writes).toMatchObject({
      policy: 'stop',
      stoppedAt: expect.any(String),
      resumedAt: expect.any(String),
    });
  });

  // Failing before anything changed aborts; only a paused door is reopened.
  it.each([
    'check-tools',
    'check-database',
    'resolve-release',
    'check-environment',
    'check-disk',
    'check-prisma',
    'inspect-migrations',
    'check-drift',
    'lint-migrations',
    'stage-release',
  ])('aborts when %s fails, undoing nothing', async (failAt) => {
    const { calls, report } = await deploy({ failAt });
    expect(calls).toEqual(callsUpTo(failAt));
    expect(report.outcome).toBe('aborted');
    expect(report.error).toMatchObject({ step: failAt, type: 'StubFailure' });
    expect(report.rollback).toBeUndefined();
  });

  it.each([
    ['rehearse', []],
    ['stop-writes', RESUME],
    ['backup', RESUME],
  ])('aborts when %s fails, removing the staged copy, resuming writes if paused', async (failAt, resume) => {
    const { calls, report } = await deploy({ failAt });
    expect(calls).toEqual([...callsUpTo(failAt), ...UNSTAGE, ...resume]);
    expect(report.outcome).toBe('aborted');
    expect(report.rollback).toBeUndefined();
  });

  // Once the code can change, every failure rolls back in reverse; the database only once a migration may have run.
  it.each([
    ['activate-release', [...UNDO_CODE, ...RESUME]],
    ['install-dependencies', [...UNDO_CODE, ...RESUME]],
    ['migrate', [...RESTORE, ...UNDO_CODE, ...RESUME]],
    ['restart', [...RESTORE, ...UNDO_CODE, ...RESUME]],
    ['verify', [...RESTORE, ...UNDO_CODE, ...RESUME]],
  ])('rolls back when %s fails: %j', async (failAt, undo) => {
    const { calls, report } = await deploy({ failAt });
    expect(calls).toEqual([...callsUpTo(failAt), ...UNSTAGE, ...undo]);
    expect(report.outcome).toBe('rolled-back');
    const rollbackSteps = report.steps.filter((s) => s.phase === 'rollback');
    expect(rollbackSteps.filter((s) => s.status === 'ok').map((s) => s.name)).toEqual(
      undo.filter((c) => !c.includes(':')),
    );
    if (undo.includes('restore-database')) {
      // Writes were paused since before the backup: the lost-writes check has nothing to count.
      expect(rollbackSteps.filter((s) => s.status === 'skipped').map((s) => [s.name, s.result])).toEqual([
        ['check-lost-writes', 'writes were paused from before the backup: nothing to lose'],
        ['approve-lost-writes', 'no writes to lose'],
      ]);
      expect(report.rollback?.strategy).toBe('restore-database');
    }
    expect(report.rollback).toMatchObject({ verified: true, leftForHumans: [] });
    expect(report.rollback?.reason).toContain(`[${failAt}] failed on purpose`);
    expect(report.rollback?.checks).toEqual([{ name: 'health', kind: 'health', ok: true, detail: '200' }]);
    expect(report.rollback?.undone.length).toBeGreaterThan(0);
    if (failAt === 'verify') expect(report.checks).toEqual([{ name: 'login', kind: 'http', ok: false, detail: '500' }]);
  });

  it('reports rollback-failed, never success, when restoring the database fails; still restarts the app and resumes writes', async () => {
    const { calls, report } = await deploy({}, undefined, (calls) => {
      const stubs = stubActivities(calls, { failAt: 'migrate' }) as unknown as Record<
        string,
        (...a: unknown[]) => Promise<unknown>
      >;
      stubs.restoreDatabase = async () => {
        calls.push('restore-database');
        throw ApplicationFailure.create({
          type: 'RestoreUnverified',
          message: '[restore-database] the backup is missing',
          nonRetryable: true,
        });
      };
      return stubs as unknown as Activities;
    });
    // The previous code on an unrestored database could not run on it: not put back, not verified.
    // The app is restarted and writes resumed: they need nothing the restore does.
    expect(calls.slice(calls.indexOf('migrate'))).toEqual([
      'migrate',
      'remove-staging',
      'restore-database',
      'restart-previous',
      'resume-writes-after-rollback',
    ]);
    expect(report.outcome).toBe('rollback-failed');
    expect(report.rollback?.verified).toBe(false);
    const left = report.rollback!.leftForHumans;
    expect(left).toHaveLength(4);
    expect(left[0]).toContain('/b/x.dump');
    expect(left[1]).toContain(`git -C /srv/farm-chat checkout --detach ${'a'.repeat(40)}`);
    expect(left[2]).toContain('reinstall dependencies: cd /srv/farm-chat && npm ci');
    expect(left[3]).toContain('check the app by hand');
    expect(left.join('\n')).not.toMatch(/systemctl restart|maintenance-off/);
    const steps = Object.fromEntries(report.steps.filter((x) => x.phase === 'rollback').map((x) => [x.name, x]));
    expect(steps['reactivate-release']).toMatchObject({
      status: 'skipped',
      result: 'not run: it needs restore-database, which did not work',
    });
    expect(steps['verify-rollback']).toMatchObject({
      status: 'skipped',
      result: expect.stringContaining('not run: it needs restore-database, reactivate-release, reinstall-dependencies'),
    });
    expect(steps['restart-previous']).toMatchObject({ status: 'ok' });
    expect(steps['resume-writes-after-rollback']).toMatchObject({ status: 'ok' });
  });

  it('retries a failing compensation for rollback.retryFor, says so, and runs only the undos that do not need it', async () => {
    const attemptedAt: number[] = [];
    const { calls, report } = await deploy({}, undefined, (calls) => {
      const stubs = stubActivities(calls, { failAt: 'restart' }) as unknown as Record<
        string,
        (...a: unknown[]) => Promise<unknown>
      >;
      stubs.restoreDatabase = async () => {
        attemptedAt.push(Date.now());
        throw ApplicationFailure.create({
          type: 'RestoreUnverified',
          message: '[restore-database] the cluster is down',
          nonRetryable: false,
        });
      };
      return stubs as unknown as Activities;
    });
    // rollback.retryFor '3 seconds': the first try, then after 2 s and 4 s (compensationRetry).
    expect(attemptedAt.length).toBe(compensationRetry(3_000).maximumAttempts);
    expect(attemptedAt.length).toBe(3);
    expect(report.outcome).toBe('rollback-failed');
    const step = report.steps.find((x) => x.name === 'restore-database');
    expect(step).toMatchObject({ phase: 'rollback', status: 'failed' });
    expect(step?.error).toContain('gave up after its retries: maximum attempts reached');
    // The back-offs passed on the test server's clock: 6 s of workflow time between the first and
    // the last attempt, less than that of the test's own (on the dev server it was 6 s and more).
    expect(step?.durationMs).toBeGreaterThanOrEqual(6_000);
    expect(attemptedAt.at(-1)! - attemptedAt[0]!).toBeLessThan(6_000);
    expect(calls.slice(calls.indexOf('restart'))).toEqual([
      'restart',
      'remove-staging',
      'restart-previous',
      'resume-writes-after-rollback',
    ]);
  });

  it('rolls back when the deployment is cancelled mid-migration', async () => {
    const { calls, report, handle } = await deploy({ blockAt: 'migrate' }, async (h, calls) => {
      await until(() => calls.includes('migrate'));
      await h.cancel();
    });
    expect(calls).toEqual([...callsUpTo('migrate'), ...UNSTAGE, ...RESTORE, ...UNDO_CODE, ...RESUME]);
    expect(report.outcome).toBe('rolled-back');
    expect(report.error?.type).toBe('Cancelled');
    const history = await handle.fetchHistory();
    expect(history.events?.some((e) => e.activityTaskCancelRequestedEventAttributes)).toBe(true);
  });

  it('the outcome is the status: deployed completes; rolled back and aborted fail the workflow, typed, with the report', async () => {
    const ok = await deploy({});
    await expect(ok.handle.result()).resolves.toMatchObject({ outcome: 'deployed' });
    expect((await ok.handle.describe()).status.name).toBe('COMPLETED');
    for (const [o, type, outcome] of [
      [{ failAt: 'verify' }, 'DeploymentRolledBack', 'rolled-back'],
      [{ failAt: 'check-tools' }, 'DeploymentAborted', 'aborted'],
    ] as const) {
      const { handle, report } = await deploy(o);
      expect(report.outcome).toBe(outcome);
      const err = await handle.result().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
      expect(cause).toMatchObject({ type, nonRetryable: true, message: `${outcome}: ${report.error!.message}` });
      expect(cause.details?.[0]).toEqual(report);
      expect((await handle.describe()).status.name).toBe('FAILED');
    }
  }, 90_000);

  it('rolls back on a rollback update, saying who asked and why, and answers with the outcome', async () => {
    let answer: unknown;
    const { calls, report } = await deploy({ blockAt: 'restart' }, async (h, calls) => {
      await until(() => calls.includes('restart'));
      answer = await h.executeUpdate('rollback', { args: [{ by: 'ana', reason: 'login is slow' }] });
    });
    expect(answer).toEqual({ outcome: 'rolled-back' });
    expect(calls).toEqual([...callsUpTo('restart'), ...UNSTAGE, ...RESTORE, ...UNDO_CODE, ...RESUME]);
    expect(report.outcome).toBe('rolled-back');
    expect(report.error).toMatchObject({ type: 'RollbackRequested' });
    expect(report.rollback).toMatchObject({
      requestedBy: 'ana',
      reason: 'rollback requested by ana: login is slow',
      verified: true,
    });
    // The step it cut short says so (not "the deployment was cancelled").
    expect(report.steps.find((x) => x.name === 'restart')).toMatchObject({
      status: 'failed',
      error: 'rollback requested by ana: login is slow',
    });
  });

  it('a rollback during the monitoring window: the monitor step says who asked and why', async () => {
    const { report } = await deploy({ monitorMinutes: 10 }, async (h) => {
      for (;;) {
        const p = await h.query<Progress>('progress');
        if (p.currentStep === 'monitor') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await h.executeUpdate('rollback', { args: [{ by: 'ana', reason: 'error rate up' }] });
    });
    expect(report.outcome).toBe('rolled-back');
    expect(report.steps.find((x) => x.name === 'monitor')).toMatchObject({
      status: 'failed',
      error: 'rollback requested by ana: error rate up',
    });
  });

  it('refuses a rollback update without a reason, and once the deployment has ended', async () => {
    const { handle } = await deploy({ blockAt: 'backup' }, async (h, calls) => {
      await until(() => calls.includes('backup'));
      const bad = (await h
        .executeUpdate('rollback', { args: [{ by: 'ana', reason: '' }] })
        .catch((e: unknown) => e)) as WorkflowUpdateFailedError;
      expect(bad).toBeInstanceOf(WorkflowUpdateFailedError);
      expect(String(bad.cause?.message)).toContain('reason');
      await h.cancel();
    });
    const late = await handle.executeUpdate('rollback', { args: [{ by: 'ana', reason: 'too late' }] }).catch((e) => e);
    expect(late).toBeInstanceOf(Error);
    // Rejected updates leave nothing in the history (validators run before it is written).
    const history = await handle.fetchHistory();
    expect(history.events?.filter((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toHaveLength(0);
  });

  it('refuses approve and reject when nothing waits for a decision', async () => {
    await deploy({ blockAt: 'install-dependencies' }, async (h, calls) => {
      await until(() => calls.includes('install-dependencies'));
      for (const name of ['approve', 'reject']) {
        const err = (await h
          .executeUpdate(name, { args: [{ by: 'ana', reason: 'ok' }] })
          .catch((e: unknown) => e)) as WorkflowUpdateFailedError;
        expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
        expect(String(err.cause?.message)).toContain('not waiting for a decision');
      }
      await h.cancel();
    });
  });

  it('lets one deployment per app and environment run, refusing a second one and naming the first', async () => {
    const environment = `env-${randomUUID().slice(0, 8)}`;
    const first = await deploy({ blockAt: 'backup', environment }, async (h, calls) => {
      await until(() => calls.includes('backup'));
      const second = await deploy({ environment });
      expect(second.report.outcome).toBe('aborted');
      expect(second.report.error).toMatchObject({ step: 'lock', type: 'DeploymentInProgress' });
      expect(second.report.error?.message).toContain(`holder-of-deploy-lock-farm-chat.${environment}`);
      expect(second.calls).toEqual(['load-config']);
      await h.cancel();
    });
    expect(first.report.outcome).toBe('aborted');
    // Released at the end: the next one runs.
    expect((await deploy({ environment })).report.outcome).toBe('deployed');
  });

  it('ends a lock nobody deploys behind (started by hand) and deploys; such a lock can also be cancelled', async () => {
    const environment = `env-${randomUUID().slice(0, 8)}`;
    const lockId = lockWorkflowId('farm-chat', environment);
    const real = createTemporalActivities();
    const byHand = await client.workflow.start('deploymentLock', {
      taskQueue: `nobody-${randomUUID()}`,
      workflowId: lockId,
    });
    const { calls, report, handle } = await deploy({ environment }, undefined, (c) => ({
      ...stubActivities(c, { environment }),
      describeDeploymentLock: real.describeDeploymentLock,
      endStaleDeploymentLock: real.endStaleDeploymentLock,
    }));
    expect(report.outcome).toBe('deployed');
    expect(calls).toContain('check-tools');
    expect((await client.workflow.getHandle(lockId, byHand.firstExecutionRunId).describe()).status.name).toBe(
      'TERMINATED',
    );
    const history = await historyText(handle);
    expect(history).toContain('endStaleDeploymentLock');
    expect(history).toContain('End the stale lock: it was started by hand, not by a deployment');

    // A lock started by hand (and one whose deployment is stuck) ends when cancelled.
    const taskQueue = `lock-${randomUUID()}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { codePath: inject('workflowBundlePath') },
    });
    await worker.runUntil(async () => {
      const lock = await client.workflow.start('deploymentLock', { taskQueue, workflowId: lockId });
      await lock.cancel();
      await expect(lock.result()).rejects.toThrow();
      expect((await lock.describe()).status.name).toBe('CANCELLED');
    });
  });

  it('rolls back when a look of the monitoring window fails, pausing writes and asking before losing them', async () => {
    let progress: Progress | undefined;
    const { calls, report } = await deploy({ monitorMinutes: 1, failLook: 3, writesPerRead: 2 }, async (h) => {
      // Others wrote after writes resumed: restoring would lose them, so a person is asked.
      for (;;) {
        progress = await h.query<Progress>('progress');
        if (progress.waitingFor) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await h.executeUpdate('approve', { args: [{ by: 'ops-lead', reason: 'test rows only' }] });
    });
    expect(progress?.waitingFor).toMatchObject({ kind: 'approval', gate: 'lost-writes' });
    expect(progress?.waitingFor?.detail).toContain('public.users: 4 rows');
    expect(calls).toEqual([
      ...callsUpTo('resume-writes'),
      ...UNSTAGE,
      'look-1',
      'look-2',
      'look-3',
      'stop-writes-again',
      'check-lost-writes',
      ...RESTORE,
      ...UNDO_CODE,
      ...RESUME,
    ]);
    expect(report.outcome).toBe('rolled-back');
    expect(report.error).toMatchObject({ step: 'monitor', type: 'MonitoringFailed' });
    expect(report.monitoring).toMatchObject({ minutes: 1, looks: 2, checks: [{ name: 'look 3: health', ok: false }] });
    expect(report.rollback).toMatchObject({ strategy: 'restore-database', lostWrites: { 'public.users': 4 } });
    expect(report.decisions).toEqual([
      expect.objectContaining({ gate: 'lost-writes', decision: 'approved', by: 'ops-lead', reason: 'test rows only' }),
    ]);
  });

  it('keeps the database and reverts only code when a person rejects losing writes', async () => {
    const { calls, report } = await deploy({ monitorMinutes: 1, failLook: 1, writesPerRead: 5 }, async (h) => {
      for (;;) {
        if ((await h.query<Progress>('progress')).waitingFor) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await h.executeUpdate('reject', { args: [{ by: 'ops-lead', reason: 'customers wrote orders' }] });
    });
    expect(calls).not.toContain('restore-database');
    expect(calls).toContain('verify-rollback:code-only');
    expect(report.outcome).toBe('rolled-back');
    expect(report.rollback).toMatchObject({ strategy: 'code-only', lostWrites: { 'public.users': 10 } });
    expect(report.steps.find((s) => s.name === 'restore-database')).toMatchObject({
      status: 'skipped',
      result: 'kept the database: ops-lead rejected the restore: customers wrote orders',
    });
  });

  it("counts only others' writes under the detect policy: its own migration and checks are not lost writes", async () => {
    // Every read grows the odometer by 1: the migrate window is ours, the rest theirs.
    const { report } = await deploy({ policy: 'detect', writesPerRead: 1, failAt: 'restart' }, async (h) => {
      for (;;) {
        if ((await h.query<Progress>('progress')).waitingFor) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await h.executeUpdate('approve', { args: [{ by: 'ops-lead', reason: 'restore' }] });
    });
    expect(report.outcome).toBe('rolled-back');
    // Reads: stop-writes 100, before migrate 101, after migrate 102, check-lost-writes 103: 3 in all, 1 ours.
    expect(report.rollback?.lostWrites).toEqual({ 'public.users': 2 });
    expect(report.writes).toEqual({ policy: 'detect' });
  });

  it("reads write points, never the statistics' odometer: no countWrites in a detect or a stop deployment", async () => {
    for (const policy of ['detect', 'stop'] as const) {
      const o = { policy };
      const { calls, report } = await deploy(o, undefined, (c) => {
        const stubs = stubActivities(c, o) as unknown as Record<string, (...a: never[]) => Promise<unknown>>;
        const watched =
          (name: string) =>
          async (...a: never[]) => {
            c.push(`${name}(${JSON.stringify(a[0], ['step', 'exact', 'readPoint'])})`);
            return stubs[name]!(...a);
          };
        return {
          ...stubs,
          countWrites: watched('countWrites'),
          readWritePoint: watched('readWritePoint'),
          stopWrites: watched('stopWrites'),
          resumeWrites: watched('resumeWrites'),
        } as unknown as Activities;
      });
      expect(report.outcome).toBe('deployed');
      expect(calls.filter((x) => x.includes('('))).toEqual(
        policy === 'detect'
          ? [
              'stopWrites({"step":"stop-writes","exact":true})',
              'readWritePoint({"step":"migrate"})',
              'readWritePoint({"step":"verify"})',
              'readWritePoint({"step":"migrate"})',
              'readWritePoint({"step":"verify"})',
            ]
          : [
              'stopWrites({"step":"stop-writes","exact":true})',
              'resumeWrites({"step":"resume-writes","readPoint":true})',
            ],
      );
    }
  });

  it('asks before restoring when the write point may be late (an earlier attempt of resume-writes may have let writes in), even with no writes counted', async () => {
    let progress: Progress | undefined;
    const { report } = await deploy(
      { monitorMinutes: 1, failLook: 1, uncertainPoint: 'read by attempt 2 of resume-writes' },
      async (h) => {
        for (;;) {
          progress = await h.query<Progress>('progress');
          if (progress.waitingFor) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        await h.executeUpdate('approve', { args: [{ by: 'ops-lead', reason: 'restore' }] });
      },
    );
    expect(progress?.waitingFor).toMatchObject({ kind: 'approval', gate: 'lost-writes' });
    expect(progress?.waitingFor?.detail).toContain('could not be counted exactly: read by attempt 2 of resume-writes');
    expect(report.rollback).toMatchObject({ strategy: 'restore-database', lostWrites: {} });
  });

  it('asks before restoring when resume-writes failed after it may have let writes in (no write point recorded)', async () => {
    let progress: Progress | undefined;
    const { calls, report } = await deploy({ failAt: 'resume-writes' }, async (h) => {
      for (;;) {
        progress = await h.query<Progress>('progress');
        if (progress.waitingFor) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await h.executeUpdate('reject', { args: [{ by: 'ops-lead', reason: 'keep what came in' }] });
    });
    expect(progress?.waitingFor?.detail).toContain(
      'resume-writes may have let writes in before its write point was recorded',
    );
    expect(calls).toContain('stop-writes-again');
    expect(calls).not.toContain('restore-database');
    expect(report.rollback).toMatchObject({ strategy: 'code-only' });
  });

  it('waits for a person when a pending migration is destructive: approved, it deploys', async () => {
    let asked: Progress['waitingFor'];
    const { report } = await deploy({ migrationSql: 'ALTER TABLE "users" DROP COLUMN "legacy";' }, async (h) => {
      for (;;) {
        asked = (await h.query<Progress>('progress')).waitingFor;
        if (asked) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(
        await h.executeUpdate('approve', { args: [{ by: 'dba', reason: 'legacy is unused since v0.9' }] }),
      ).toEqual({ gate: 'migration-risk', decision: 'approved' });
    });
    expect(asked).toMatchObject({ kind: 'approval', gate: 'migration-risk' });
    expect(asked?.detail).toContain('m2 is destructive: drop-column');
    expect(report.outcome).toBe('deployed');
    expect(report.decisions).toEqual([
      expect.objectContaining({ gate: 'migration-risk', decision: 'approved', by: 'dba' }),
    ]);
    expect(report.lint).toEqual([expect.objectContaining({ name: 'm2', severity: 'destructive' })]);
    expect(report.rollbackPlan).toMatchObject({
      strategy: 'restore-database',
      why: 'a pending migration is not additive',
    });
  });

  it('aborts, changing nothing, when a person rejects a destructive migration', async () => {
    const { calls, report } = await deploy({ migrationSql: 'DROP TABLE "users";' }, async (h) => {
      while (!(await h.query<Progress>('progress')).waitingFor) await new Promise((r) => setTimeout(r, 100));
      await h.executeUpdate('reject', { args: [{ by: 'dba', reason: 'not this week' }] });
    });
    expect(report.outcome).toBe('aborted');
    expect(report.error).toMatchObject({ step: 'approval', type: 'ApprovalRejected' });
    expect(calls).not.toContain('stop-writes');
    expect(calls).not.toContain('stage-release');
  });

  it('rehearses on a dry run and reports what a person would be asked, touching nothing', async () => {
    const { calls, report } = await deploy({ dryRun: true, migrationSql: 'ALTER TABLE "users" DROP COLUMN "legacy";' });
    expect(report.outcome).toBe('dry-run');
    expect(calls).toEqual([
      'load-config',
      'check-tools',
      'check-database',
      'resolve-release',
      'check-environment',
      'check-disk',
      'check-prisma',
      'inspect-migrations',
      'check-drift',
      'lint-migrations',
      'stage-release',
      'rehearse',
      'remove-staging',
    ]);
    expect(report.decisions).toEqual([
      expect.objectContaining({
        gate: 'migration-risk',
        decision: 'timed-out',
        reason: expect.stringContaining('dry run'),
      }),
    ]);
    expect(report.rehearsal?.migrations).toEqual([{ name: 'm2', durationMs: 5 }]);
  });

  it('rolls back code only when the migration is additive and the previous release ran on the rehearsed copy', async () => {
    const { calls, report } = await deploy({ compatible: true, blockAt: 'restart' }, async (h, calls) => {
      await until(() => calls.includes('restart'));
      await h.executeUpdate('rollback', { args: [{ by: 'ana', reason: 'slow' }] });
    });
    expect(report.rollbackPlan?.strategy).toBe('code-only');
    expect(calls).not.toContain('restore-database');
    expect(calls).toContain('verify-rollback:code-only');
    expect(report.rollback).toMatchObject({ strategy: 'code-only', verified: true });
  });

  it('restores the database when the rehearsal measured that the migration changed existing values, naming them', async () => {
    const { calls, report } = await deploy({
      compatible: true,
      failAt: 'restart',
      existingDataChanges: [{ table: 'public.users', what: 'values changed in email', columns: ['email'] }],
    });
    expect(report.rollbackPlan).toEqual({
      strategy: 'restore-database',
      why: 'on the rehearsal copy the migration changed existing data (public.users: values changed in email): a code-only rollback would keep it',
    });
    expect(report.rehearsal?.existingDataChanges).toEqual([
      { table: 'public.users', what: 'values changed in email', columns: ['email'] },
    ]);
    expect(calls).toContain('restore-database');
    expect(report.rollback).toMatchObject({ strategy: 'restore-database', databaseRestored: true });
  });

  it('restores the database anyway when the migration itself failed, whatever the plan', async () => {
    const { calls, report } = await deploy({ compatible: true, failAt: 'migrate' });
    expect(report.rollbackPlan?.strategy).toBe('code-only');
    expect(calls).toContain('restore-database');
    expect(report.rollback?.strategy).toBe('restore-database');
  });

  it('answers the progress query with the steps so far', async () => {
    await deploy({ blockAt: 'restart' }, async (h, calls) => {
      await until(() => calls.includes('restart'));
      const progress = await h.query<Progress>('progress');
      expect(progress).toMatchObject({ status: 'running', currentStep: 'restart', app: 'farm-chat', ref: 'v2' });
      expect(progress.steps.map((s) => s.name)).toEqual(FORWARD.slice(0, FORWARD.indexOf('restart') + 1));
      await h.cancel();
    });
  });

  it('fails the workflow, naming the field, when loadConfig rejects the request', async () => {
    const err = await deploy({}, undefined, (calls) => {
      const stubs = stubActivities(calls, {}) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
      stubs.loadConfig = async () => {
        throw ApplicationFailure.create({
          type: 'InvalidRequest',
          message: '[load-config] invalid deployment request: request.ref: not a valid git ref',
          nonRetryable: true,
        });
      };
      return stubs as unknown as Activities;
    }).catch((e) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(err.cause).toBeInstanceOf(ApplicationFailure);
    expect(err.cause.type).toBe('InvalidRequest');
    expect(err.cause.message).toContain('request.ref');
  });
});

// Backup method snapshot: the pause holds only the copy. Its fingerprint runs beside the code and
// dependency steps (the migration waits for it), its pg_dump once writes resumed.
describe('safeDeployment saga, snapshot backup split around the write pause', () => {
  const before = (calls: Calls, a: string, b: string) =>
    calls.indexOf(a) >= 0 && calls.indexOf(b) >= 0 && calls.indexOf(a) < calls.indexOf(b);

  it('copies in the pause, fingerprints beside the release, migrates only once proven, dumps after writes resume', async () => {
    const { calls, report } = await deploy({ backupMethod: 'snapshot', fingerprintMs: 1_500 });
    expect(report.outcome).toBe('deployed');
    // The code steps did not wait for the fingerprint; the migration did.
    expect(before(calls, 'activate-release', 'fingerprint-backup:done')).toBe(true);
    expect(before(calls, 'fingerprint-backup:done', 'migrate')).toBe(true);
    expect(before(calls, 'resume-writes', 'dump-backup')).toBe(true);
    expect(calls.filter((c) => c.startsWith('fingerprint-backup')).length).toBe(2); // one start, one end: never proven twice
    expect(calls).not.toContain('backupDatabase');
    const names = report.steps.map((s) => s.name);
    expect(names.indexOf('dump-backup')).toBeGreaterThan(names.indexOf('resume-writes'));
    expect(names.indexOf('dump-backup')).toBeLessThan(names.indexOf('prune'));
    // The report's backup is the dumped one: its checksum is the dump's.
    expect(report.backup).toMatchObject({
      method: 'snapshot',
      sha256: 'e'.repeat(64),
      snapshot: { database: 'farm_chat_sd_x_snap' },
      tables: [{ name: 'public.users', rows: 3 }],
    });
  });

  it('a fingerprint that fails stops the deployment before the migration; the code rollback proves the backup again for its checks', async () => {
    const { calls, report } = await deploy({ backupMethod: 'snapshot', failAt: 'fingerprint-backup' });
    expect(report.outcome).toBe('rolled-back');
    expect(report.error).toMatchObject({ step: 'fingerprint-backup' });
    expect(calls).not.toContain('migrate');
    expect(calls).not.toContain('restore-database');
    expect(before(calls, 'fingerprint-backup:verify-rollback', 'verify-rollback')).toBe(true);
    expect(report.rollback?.verified).toBe(true);
  });

  it('a migration that fails restores the snapshot, with the facts of its fingerprint', async () => {
    const { calls, report } = await deploy({ backupMethod: 'snapshot', failAt: 'migrate' }, undefined, (calls) => {
      const stubs = stubActivities(calls, { backupMethod: 'snapshot', failAt: 'migrate' }) as unknown as Record<
        string,
        (...a: unknown[]) => Promise<unknown>
      >;
      const restore = stubs.restoreDatabase!;
      stubs.restoreDatabase = async (input: unknown) => {
        calls.push(
          `restore-from:${(input as { backup: { snapshot?: { database: string }; state: { tables: unknown[] } } }).backup.snapshot?.database}`,
        );
        return restore(input);
      };
      return stubs as unknown as Activities;
    });
    expect(report.outcome).toBe('rolled-back');
    expect(calls).toContain('restore-from:farm_chat_sd_x_snap');
    expect(calls).not.toContain('dump-backup');
    expect(calls.filter((c) => c.startsWith('fingerprint-backup:'))).toEqual(['fingerprint-backup:done']); // the forward proof served the rollback
  });

  it('a dump of the sealed copy that fails after writes resumed rolls the release back: the deployment ends only with its backup verified', async () => {
    const { calls, report } = await deploy({ backupMethod: 'snapshot', failAt: 'dump-backup' });
    expect(report.outcome).toBe('rolled-back');
    expect(report.error).toMatchObject({ step: 'dump-backup' });
    expect(before(calls, 'dump-backup', 'stop-writes-again')).toBe(true);
    expect(calls).toContain('restore-database');
  });
});
