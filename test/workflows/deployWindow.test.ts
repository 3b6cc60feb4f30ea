import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureTimeSkippingServer } from '../../scripts/lib/testServer.js';
import type { Activities } from '../../src/activities/index.js';
import type { DeployRequestInput } from '../../src/config/schema.js';
import type { DeploymentReport, Progress } from '../../src/shared/report.js';
import { lockWorkflowId } from '../../src/workflows/deploymentLock.js';
import { eventually } from '../helpers/cli.js';
import { deploymentResult } from '../../src/cli/deploymentResult.js';

/**
 * The deploy window on Temporal's time-skipping test server: started outside its window, the
 * real workflow (the tests' bundle) sleeps durably for days, shows "waiting for the window" in
 * progress, and deploys once workflow time reaches the opening — in seconds of real time. The
 * activities are recording stubs; the real ones are proven by test/integration.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
const ZONE = 'Europe/Madrid';
const DAY = 86_400_000;

const release = (commit: string, name: string) => ({
  commit,
  name,
  manifest: { requiredEnv: [], requiredPackages: [], expect: { tables: [], columns: [] }, checks: [] },
  migrations: [],
});
const target = {
  app: 'farm-chat',
  environment: 'production',
  appDir: '/srv/farm-chat',
  gitRemote: 'origin',
  codeLayout: 'in-place',
  database: { urlEnv: 'DB_URL', appEnvName: 'DATABASE_URL', maintenanceDatabase: 'postgres' },
  commands: { install: ['npm', 'ci'], build: [], restart: ['systemctl', 'restart', 'farm-chat'] },
  writes: { policy: 'stop', stop: ['appctl', 'maintenance-on'], resume: ['appctl', 'maintenance-off'] },
  rehearsal: { enabled: false, preferCodeOnly: true },
  monitor: { minutes: 0, interval: '1 minute' },
  approval: { timeout: '1 hour' },
  requiredEnv: [],
  requiredPackages: [],
};

/** Each activity records that it ran and answers a plausible fact. */
function stubActivities(calls: string[]): Activities {
  const at =
    <T>(name: string, value: T) =>
    async () => {
      calls.push(name);
      return value;
    };
  const counters = () => ({ at: new Date().toISOString(), tables: { 'public.users': 20 } });
  return {
    loadConfig: async (request: DeployRequestInput) => {
      calls.push('loadConfig');
      return { request: { ...request, dryRun: false }, target };
    },
    registeredSearchAttributes: at('registeredSearchAttributes', []),
    checkTools: at('checkTools', { versions: { pg_dump: 'pg_dump (PostgreSQL) 15.18' }, pgDumpMajor: 15 }),
    checkDatabase: at('checkDatabase', { serverVersion: '15.18', serverMajor: 15, sizeBytes: 8_000_000, tables: 3 }),
    resolveRelease: at('resolveRelease', {
      current: release('a'.repeat(40), 'v1'),
      target: release('b'.repeat(40), 'v2'),
    }),
    checkEnvironment: at('checkEnvironment', { present: [] }),
    checkDisk: at('checkDisk', { freeBytes: 10 ** 10, requiredBytes: 10 ** 7 }),
    checkPrismaHazards: at('checkPrismaHazards', {
      prisma: { version: '6.19.3', major: 6, source: 'package-lock.json' },
      advisoryLock: { key: 72707369, heldBy: [] },
      pooler: { urlHints: [], probe: 'direct' },
    }),
    inspectMigrationHistory: at('inspectMigrationHistory', {
      status: 'clean',
      statusOutput: '',
      applied: ['20260101000000_init'],
      failed: [],
      pendingForTarget: ['20260201000000_satshot_integration'],
      unknownToTarget: [],
      prismaStatus: 'pending',
      disagreements: [],
      migrations: [],
      pendingSql: [
        {
          name: '20260201000000_satshot_integration',
          sql: 'ALTER TABLE "users" ADD COLUMN "satshotConnected" BOOLEAN NOT NULL DEFAULT false;',
          truncated: false,
        },
      ],
      targetCommit: 'b'.repeat(40),
    }),
    detectSchemaDrift: at('detectSchemaDrift', {
      drift: false,
      complete: true,
      differences: [],
      warnings: [],
      replayed: [],
      schemaDumpSha256: { expected: 'e', actual: 'e' },
      scratchDatabase: 'x',
      durationMs: 1,
    }),
    lintPendingMigrations: at('lintPendingMigrations', {
      migrations: [{ name: '20260201000000_satshot_integration', severity: 'additive', findings: [] }],
    }),
    // In place, the release is staged before writes pause and its install moved in (issue 14).
    stageRelease: at('stageRelease', {
      dir: '/var/backups/farm-chat/work/stage-x',
      commit: 'b'.repeat(40),
      install: { commit: 'b'.repeat(40), lockfileSha256: 'l', skipped: false, packages: 53, requiredPresent: [] },
    }),
    removeStagedRelease: at('removeStagedRelease', { removed: true }),
    removeKeptDependencies: at('removeKeptDependencies', { removed: true }),
    stopWrites: async () => {
      calls.push('stopWrites');
      return { stopped: true, counters: counters() };
    },
    resumeWrites: async ({ readPoint }: { readPoint?: boolean }) => {
      calls.push('resumeWrites');
      return {
        resumed: true,
        ...(readPoint
          ? {
              point: { at: new Date().toISOString(), snapshot: '1:1:', rows: counters().tables, sleptMs: 0, readMs: 1 },
            }
          : {}),
      };
    },
    countWrites: async () => counters(),
    backupDatabase: at('backupDatabase', {
      path: '/var/backups/farm-chat/x.dump',
      format: 'custom',
      sizeBytes: 11_076,
      sha256: 'f'.repeat(64),
      archiveEntries: 9,
      state: { schemaSha256: 's', tables: [{ name: 'public.users', rows: 20, checksum: 'c' }], migrations: [] },
      durationMs: 1,
    }),
    activateRelease: async ({ commit }: { commit: string }) => {
      calls.push('activateRelease');
      return { commit, previous: 'a'.repeat(40), changed: true };
    },
    installDependencies: at('installDependencies', {
      commit: 'b'.repeat(40),
      lockfileSha256: 'l',
      skipped: false,
      packages: 53,
      requiredPresent: [],
    }),
    migrateDatabase: at('migrateDatabase', { applied: ['20260201000000_satshot_integration'], output: '' }),
    restartApplication: at('restartApplication', { healthyAfterMs: 900, health: '200' }),
    verifyDeployment: at('verifyDeployment', {
      checks: [{ name: 'health', kind: 'health', ok: true, detail: '200', durationMs: 1 }],
    }),
  } as unknown as Activities;
}

/** Local weekday and HH:MM of an instant in `timeZone`. */
function localTime(ms: number, timeZone: string): { weekday: string; hhmm: string } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(ms);
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return { weekday: get('weekday').toLowerCase(), hhmm: `${get('hour')}:${get('minute')}` };
}

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  const path = ensureTimeSkippingServer(root, (line) => console.log(`[deployWindow] ${line}`));
  // Without a binary, the SDK downloads its own test server (where the network allows).
  env = await TestWorkflowEnvironment.createTimeSkipping(
    path ? { server: { executable: { type: 'existing-path', path } } } : {},
  );
}, 120_000);
afterAll(async () => env?.teardown());

describe('the deploy window, under time skipping', () => {
  it('started outside its window, it waits durably for days, then deploys at the opening', async () => {
    // A window at noon in Madrid, three days from now, on that day of the week only.
    const opening = localTime(Date.now() + 3 * DAY, ZONE);
    const window = { days: [opening.weekday], start: '12:00', end: '14:00', timeZone: ZONE };
    const calls: string[] = [];
    const taskQueue = `window-${randomUUID()}`;
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      activities: stubActivities(calls),
    });

    await worker.runUntil(async () => {
      const request = { app: 'farm-chat', environment: 'production', ref: 'v2', window } as DeployRequestInput;
      const handle = await env.client.workflow.start('safeDeployment', {
        taskQueue,
        workflowId: `window-${randomUUID()}`,
        args: [request],
      });

      // Time does not skip until someone waits for the result: the deployment sits in its timer.
      const waiting = await eventually(
        'the deployment to wait for its window',
        async () => {
          const p = await handle.query<Progress>('progress').catch(() => undefined);
          return p?.waitingFor ? p : undefined;
        },
        30_000,
      );
      expect(waiting.currentStep).toBe('wait-for-window');
      expect(waiting.waitingFor).toMatchObject({ kind: 'window', gate: 'window' });
      const opensAt = Date.parse(waiting.waitingFor!.until!);
      expect(localTime(opensAt, ZONE)).toEqual({ weekday: opening.weekday, hhmm: '12:00' });
      expect(opensAt - Date.parse(waiting.waitingFor!.since)).toBeGreaterThan(2 * DAY);
      expect(opensAt - Date.parse(waiting.waitingFor!.since)).toBeLessThan(4 * DAY);
      // The opening in the window's own zone, UTC in parentheses.
      const localDate = new Intl.DateTimeFormat('en-CA', {
        timeZone: ZONE,
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
      }).format(opensAt);
      const utc = new Date(opensAt).toISOString();
      const day = opening.weekday[0]!.toUpperCase() + opening.weekday.slice(1);
      expect(waiting.waitingFor!.detail).toBe(
        `the window ${opening.weekday} 12:00–14:00 ${ZONE} opens at ${day} ${localDate} 12:00 ${ZONE} (${utc.slice(0, 10)} ${utc.slice(11, 16)} UTC)`,
      );
      // Nothing was checked, let alone changed, before the window, and the lock is not held
      // while it waits: a hotfix of the same app and environment may run meanwhile.
      expect(calls).toEqual(['loadConfig', 'registeredSearchAttributes']);
      expect(waiting.steps.map((x) => x.name)).toEqual(['load-config', 'wait-for-window']);
      await expect(env.client.workflow.getHandle(lockWorkflowId('farm-chat', 'production')).describe()).rejects.toThrow(
        /not found/i,
      );

      const realStart = Date.now();
      const report = await deploymentResult(handle); // the test server skips to the timer
      expect(Date.now() - realStart).toBeLessThan(60_000);

      expect(report.outcome).toBe('deployed');
      const names = report.steps.map((s) => s.name);
      expect(names.slice(0, 4)).toEqual(['load-config', 'wait-for-window', 'lock', 'check-tools']);
      const waited = report.steps[1]!;
      expect(waited).toMatchObject({
        status: 'ok',
        result: `opened; closes at ${day} ${localDate} 14:00 ${ZONE} (${new Date(opensAt + 2 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ')} UTC)`,
      });
      expect(waited.durationMs).toBeGreaterThan(2 * DAY);
      // In workflow time, the lock was taken at or after the opening, inside the window.
      const firstAfter = Date.parse(report.steps[2]!.startedAt);
      expect(firstAfter).toBeGreaterThanOrEqual(opensAt);
      expect(firstAfter).toBeLessThan(opensAt + 2 * 3_600_000);
      expect(calls).toEqual(
        expect.arrayContaining(['checkTools', 'stageRelease', 'backupDatabase', 'migrateDatabase', 'verifyDeployment']),
      );
      expect(names).toEqual(expect.arrayContaining(['backup', 'migrate', 'restart', 'verify', 'resume-writes']));
    });
  }, 120_000);
});
