import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { killServer, startServer } from '../../scripts/lib/cluster.js';
import { TEMPORAL_SERVER_VERSION } from '../../scripts/lib/temporalServer.js';
import { deploymentResult } from '../../src/cli/deploymentResult.js';
import type { DeployRequestInput } from '../../src/config/schema.js';
import type { DeploymentReport, Progress } from '../../src/shared/report.js';
import { workflowsPath } from '../../src/worker.js';
import { eventually, runCli } from '../helpers/cli.js';
import { ActivityHold } from '../helpers/heldActivity.js';
import { queuesByActivity, twoHosts } from '../helpers/hosts.js';
import {
  attemptsOf,
  captureRows,
  expectRowsRestored,
  expectVerifiedRollback,
  type ProductionRows,
} from '../helpers/productionState.js';
import { createScenario, scheduledActivities, type Scenario } from '../helpers/scenario.js';

/**
 * safe-deploy on a real Temporal server (history, matching and visibility on PostgreSQL, as
 * docker-compose.yml runs it) rather than the dev server. One farm-chat production for the whole
 * file, on two hosts (web-1 and web-2: a clone, an app and a worker on its own task queue each,
 * one database), deployed four times in a row:
 *  1. v2-broken-migration, the server SIGKILLed while restore-database is in flight and started
 *     again: rolled back, every row restored;
 *  2. v2, the server SIGKILLed while migrate is in flight and started again: deployed on both hosts;
 *  3. v3-drop-satshot-tokens from a Temporal Schedule (`safe-deploy schedule create`, then
 *     `trigger`): it waits at the migration-risk gate, `safe-deploy approve`, deployed;
 *  4. `safe-deploy list` by app, environment and outcome, answered by the SQL visibility store.
 * Each ends as the same deployment ends on the dev server (test/integration: brokenMigration,
 * multiHost, approvedDestructive; the fault matrix's restart-server cases).
 */
const skipReason = inject('clusterSkipReason');
if (skipReason) console.log(`test/cluster is skipped: ${skipReason}`);

const SLOW = { timeout: 600_000 };
const log = (line: string) => console.log(`[cluster] ${line}`);
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

describe.skipIf(Boolean(skipReason))(
  skipReason
    ? `skipped, the Temporal server could not be built: ${skipReason}`
    : `farm-chat on two hosts, on Temporal server v${TEMPORAL_SERVER_VERSION} with PostgreSQL`,
  () => {
    const hosts = twoHosts('cluster');
    const [q1, q2] = hosts.queues;
    const overrides = { health: { path: '/health', timeout: '10 seconds' }, rehearsal: { enabled: false } };
    let s: Scenario;
    let holdDir: string;
    let hold: ActivityHold;
    const deployments: { name: string; handle: WorkflowHandle; report: DeploymentReport }[] = [];
    let scheduleId: string | undefined;

    beforeAll(async () => {
      const started = Date.now();
      holdDir = mkdtempSync(join(tmpdir(), 'safe-deploy-hold-'));
      hold = new ActivityHold(holdDir);
      s = await createScenario('cluster', { overrides: { ...overrides, hosts: hosts.config } });
      await hosts.start(s, { overrides, web1Interceptors: hold.interceptors });
      log(`farm-chat v1 on two hosts, three workers: ${seconds(started)}`);
    }, 600_000);
    afterAll(async () => {
      hold?.release();
      if (scheduleId) await runCli(['schedule', 'delete', scheduleId]).catch(() => undefined);
      await hosts.close();
      await s?.close();
      if (holdDir) rmSync(holdDir, { recursive: true, force: true });
    });

    const headOf = (dir: string) => execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
    const health = async (baseUrl: string) => (await fetch(`${baseUrl}/health`)).json();
    const bothHosts = () =>
      [
        [s.prod.appDir, s.prod.baseUrl],
        [hosts.web2.appDir, hosts.web2.baseUrl],
      ] as const;

    /**
     * Starts `request`; once `activity` (the step `step` runs, on web-1) has done its work and holds,
     * SIGKILLs the Temporal server, lets the activity return while the server is dead, and starts the
     * server again on the same ports and databases. The deployment's report, however it ends.
     */
    async function deployThroughCrash(request: DeployRequestInput, step: string, activity: string) {
      const started = Date.now();
      const server = inject('clusterServer');
      hold.arm(step, activity);
      const handle = await s.start(request);
      const endedFirst = deploymentResult(handle).then((r) => {
        throw new Error(`the deployment ended ${r.outcome} before ${step} could be held: ${r.error?.message ?? ''}`);
      });
      endedFirst.catch(() => undefined);
      await Promise.race([hold.held(600_000), endedFirst]);
      const pid = await killServer(server.stateDir);
      hold.release(); // its completion has no server to go to
      await new Promise((r) => setTimeout(r, 2_000));
      const restarting = Date.now();
      await startServer(server.stateDir, server.tools, server.temporalCli);
      log(`${request.ref}: server ${pid} SIGKILLed while ${step} held; SERVING again after ${seconds(restarting)}`);
      const report = await deploymentResult(handle);
      const attempts = await attemptsOf(handle, activity);
      log(`${request.ref}: ${report.outcome} after ${seconds(started)}; ${activity} attempts ${attempts.join(', ')}`);
      deployments.push({ name: `${request.ref} through a crash at ${step}`, handle, report });
      return { handle, report, attempts };
    }

    it('is the real server, not the dev server: the pinned version, PostgreSQL for history and visibility', async () => {
      const info = await s.client.connection.workflowService.getClusterInfo({});
      expect(info.serverVersion).toBe(TEMPORAL_SERVER_VERSION);
      expect(info.persistenceStore).toBe('postgres12');
      expect(info.visibilityStore).toBe('postgres12');
    });

    it(
      'v2-broken-migration, the server killed mid restore-database: rolled back on both hosts, every row restored',
      SLOW,
      async () => {
        const before: ProductionRows = await captureRows(s);
        const { handle, report, attempts } = await deployThroughCrash(
          s.request('v2-broken-migration'),
          'restore-database',
          'restoreDatabase',
        );
        expectVerifiedRollback(report);
        expect(report.error).toMatchObject({ step: 'migrate', type: 'MigrationFailed' });
        expect(report.rollback).toMatchObject({ databaseRestored: true, restoredFrom: 'dump' });
        // Every row by content; one smoke user and message from each host's rollback verification.
        await expectRowsRestored(s, before, 2);
        expect(await s.query(`SELECT to_regclass('satshot_tokens')::text AS t`)).toEqual([{ t: null }]);
        for (const [dir, baseUrl] of bothHosts()) {
          expect(headOf(dir)).toBe(s.origin.tags.v1);
          expect(existsSync(join(dir, 'node_modules', 'xml2js'))).toBe(false);
          expect(await health(baseUrl)).toMatchObject({ version: '1.0.0', maintenance: false });
        }
        // The database restored once, on web-1; code forward and back on both hosts, newest first.
        const scheduled = await queuesByActivity(handle);
        expect(scheduled.filter(([a]) => a === 'restoreDatabase').map(([, q]) => q)).toEqual([q1]);
        expect(scheduled.filter(([a]) => a === 'activateRelease').map(([, q]) => q)).toEqual([q1, q2, q2, q1]);
        // Scheduled once. Its completion, sent while the server was dead, was retried until the server was back (attempt 1);
        // had it been lost, the activity would have timed out and run again, as a retry (attempt 2): the same end.
        expect(attempts).toEqual([expect.toSatisfy((n: number) => n === 1 || n === 2)]);
      },
    );

    it('v2, the server killed mid migrate: deployed on both hosts, migrated once', SLOW, async () => {
      const usersBefore = await s.query('SELECT id, email, name, "passwordHash", "createdAt" FROM users ORDER BY id');
      const { handle, report, attempts } = await deployThroughCrash(s.request('v2'), 'migrate', 'migrateDatabase');
      expect(report.error).toBeUndefined();
      expect(report.outcome).toBe('deployed');
      expect(report.steps.every((x) => x.status === 'ok')).toBe(true);
      expect(report.migrations).toEqual({
        statusBefore: 'clean',
        pending: ['20260201000000_satshot_integration'],
        applied: ['20260201000000_satshot_integration'],
      });
      expect(report.checks.filter((c) => !c.ok)).toEqual([]);
      for (const [dir, baseUrl] of bothHosts()) {
        expect(headOf(dir)).toBe(s.origin.tags.v2);
        expect(existsSync(join(dir, 'node_modules', 'xml2js', 'package.json'))).toBe(true);
        expect(await health(baseUrl)).toMatchObject({ version: '2.0.0', maintenance: false });
      }
      const users = await s.query('SELECT id, email, name, "passwordHash", "createdAt" FROM users ORDER BY id');
      expect(users.slice(0, usersBefore.length)).toEqual(usersBefore);
      expect(
        await s.query(
          `SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY migration_name DESC LIMIT 1`,
        ),
      ).toEqual([{ migration_name: '20260201000000_satshot_integration' }]);
      const scheduled = await queuesByActivity(handle);
      expect(scheduled.filter(([a]) => a === 'migrateDatabase').map(([, q]) => q)).toEqual([q1]);
      expect(scheduled.filter(([a]) => a === 'restartApplication' || a === 'verifyDeployment')).toEqual([
        ['restartApplication', q1],
        ['verifyDeployment', q1],
        ['restartApplication', q2],
        ['verifyDeployment', q2],
      ]);
      expect(attempts).toEqual([expect.toSatisfy((n: number) => n === 1 || n === 2)]);
    });

    it(
      'v3-drop-satshot-tokens from a schedule (safe-deploy schedule create, trigger): waits at migration-risk, safe-deploy approve, deployed',
      SLOW,
      async () => {
        const started = Date.now();
        const created = await runCli([
          '--task-queue',
          s.taskQueue,
          'schedule',
          'create',
          '--app',
          'farm-chat',
          '--env',
          s.environment,
          '--ref',
          'v3-drop-satshot-tokens',
          '--at',
          'sun 03:00',
          '--time-zone',
          'UTC',
          '--note',
          'drops satshot_tokens',
          '--json',
        ]);
        expect(created.code, created.stderr).toBe(0);
        scheduleId = created.json<{ scheduleId: string }>().scheduleId;
        // Checked by the worker before it was created: it has this app and environment, on two hosts.
        expect(created.json()).toMatchObject({ validation: { checked: true } });
        const triggered = await runCli(['schedule', 'trigger', scheduleId, '--json']);
        expect(triggered.code, triggered.stderr).toBe(0);
        const { workflowId } = triggered.json<{ workflowId: string }>();
        const handle = s.client.workflow.getHandle(workflowId);

        await eventually(
          'the scheduled deployment to wait at the migration-risk gate',
          async () => {
            const p = await handle.query<Progress>('progress').catch(() => undefined);
            return p?.waitingFor?.gate === 'migration-risk' ? p : undefined;
          },
          300_000,
        );
        const approve = await runCli([
          'approve',
          workflowId,
          '--by',
          'ana',
          '--reason',
          'tokens unused since v3; a dump is kept',
        ]);
        expect(approve.code, approve.stderr).toBe(0);
        const report = await deploymentResult(handle);
        log(`v3-drop-satshot-tokens (scheduled, approved): ${report.outcome} after ${seconds(started)}`);
        deployments.push({ name: 'v3-drop-satshot-tokens from a schedule', handle, report });

        expect(report.outcome).toBe('deployed');
        expect(report.ref).toBe('v3-drop-satshot-tokens');
        const input = (await handle.fetchHistory()).events![0]!.workflowExecutionStartedEventAttributes!.input!
          .payloads![0]!.data!;
        expect(JSON.parse(Buffer.from(input).toString())).toMatchObject({
          environment: s.environment,
          requestedBy: `schedule ${scheduleId}`,
        });
        expect(report.decisions).toEqual([
          expect.objectContaining({ gate: 'migration-risk', decision: 'approved', by: 'ana' }),
        ]);
        expect(report.checks.filter((c) => !c.ok)).toEqual([]);
        expect(await s.query(`SELECT to_regclass('satshot_tokens')::text AS t`)).toEqual([{ t: null }]);
        for (const [dir] of bothHosts()) expect(headOf(dir)).toBe(s.origin.tags['v3-drop-satshot-tokens']);
        // The schedule saw its run end.
        const lastRun = await eventually(
          'the schedule to see its run completed',
          async () => {
            const r = await runCli(['schedule', 'list', '--json']);
            const run = r
              .json<{ schedules: { scheduleId: string; lastRun?: { workflowId: string; status: string } }[] }>()
              .schedules.find((x) => x.scheduleId === scheduleId)?.lastRun;
            return run?.status === 'COMPLETED' ? run : undefined;
          },
          30_000,
        );
        expect(lastRun.workflowId).toBe(workflowId);
      },
    );

    it('safe-deploy list finds them by app, environment and outcome in the SQL visibility store', async () => {
      expect(deployments).toHaveLength(3);
      type Listed = {
        query: string;
        deployments: { workflowId: string; status: string; ref?: string; outcome?: string }[];
      };
      const list = async (args: string[], n: number) =>
        eventually(
          `${n} deployments listed by ${args.join(' ')}`,
          async () => {
            const r = await runCli(['list', '--app', 'farm-chat', '--env', s.environment, ...args, '--json']);
            if (r.code !== 0) throw new Error(`safe-deploy list failed: ${r.stderr}`);
            const listed = r.json<Listed>();
            // Visibility is eventually consistent: the outcome is upserted a moment before the workflow closes.
            return listed.deployments.length === n &&
              listed.deployments.every((d) => d.outcome && d.status !== 'RUNNING')
              ? listed
              : undefined;
          },
          30_000,
        );
      const all = await list([], 3);
      expect(all.query).toBe(
        `WorkflowType = 'safeDeployment' AND DeployApp = 'farm-chat' AND DeployEnvironment = '${s.environment}'`,
      );
      // Newest first.
      expect(all.deployments.map((d) => [d.workflowId, d.ref, d.outcome, d.status])).toEqual(
        [...deployments]
          .reverse()
          .map((d) => [
            d.handle.workflowId,
            d.report.ref,
            d.report.outcome,
            d.report.outcome === 'deployed' ? 'COMPLETED' : 'FAILED',
          ]),
      );
      const rolledBack = await list(['--outcome', 'rolled-back'], 1);
      expect(rolledBack.deployments.map((d) => d.workflowId)).toEqual([deployments[0]!.handle.workflowId]);
    });

    it(
      "replays each deployment's history from the real server (crashes included) against today's workflow code",
      SLOW,
      async () => {
        const histories = await Promise.all(
          deployments.map(async (d) => ({ workflowId: d.handle.workflowId, history: await d.handle.fetchHistory() })),
        );
        const results: { workflowId: string; error?: unknown }[] = [];
        for await (const r of Worker.runReplayHistories({ workflowsPath: workflowsPath() }, histories)) results.push(r);
        expect(results.filter((r) => r.error).map((r) => `${r.workflowId}: ${(r.error as Error).message}`)).toEqual([]);
        expect(results).toHaveLength(3);
        expect((await scheduledActivities(deployments[1]!.handle)).filter((a) => a === 'migrateDatabase')).toEqual([
          'migrateDatabase',
        ]);
      },
    );
  },
);
