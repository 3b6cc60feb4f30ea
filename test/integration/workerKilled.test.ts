import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { activityAttempts } from '../../scripts/faults/history.js';
import { FAULT_PLAN_ENV } from '../../scripts/faults/plan.js';
import { FaultWorker, processTree } from '../../scripts/faults/processes.js';
import {
  buildFarmChatOrigin,
  createFarmChatProduction,
  stopFarmChat,
  type FarmChatOrigin,
  type FarmChatProduction,
} from '../../scripts/lib/farmChat.js';
import { writeFarmChatWorkerConfig } from '../../scripts/lib/farmChatConfig.js';
import { freePort } from '../../scripts/lib/ports.js';
import { run } from '../../src/exec/run.js';
import type { DeploymentReport } from '../../src/shared/report.js';
import { deploymentResult } from '../../src/cli/deploymentResult.js';

/**
 * A real worker process (safe-deploy's own worker, compiled: npm test builds first) SIGKILLed —
 * it alone, as `kill -9 <pid>` or the OOM killer would — while `npm ci` and while
 * `prisma migrate deploy` run. The commands it started must not outlive it (an orphaned prisma
 * kept Prisma's advisory lock and the retry failed with P1002), and the deployment must end as
 * it would after any crash once a new worker takes over.
 */
const name = `killed_${randomBytes(3).toString('hex')}`;
const SLOW = 'v2-slow-migration';
/** How long the slow migration's statement runs on the server: far longer than a retry takes to come. */
const SLEEP_S = 120;
let root: string;
let origin: FarmChatOrigin;
let prod: FarmChatProduction;
let databaseUrl: string;
let worker: FaultWorker;
let connection: Connection;
let client: Client;
const taskQueue = `safe-deploy-killed-${randomUUID().slice(0, 8)}`;
const environment = `prod-${name.replace(/_/g, '-')}`;

async function superuser<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
  const c = new pg.Client({ connectionString: inject('pg').superuserUrl });
  await c.connect();
  try {
    return (await c.query<R>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PRISMA_ENTRY = '/node_modules/prisma/build/index.js';
const cmdline = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
};
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}
async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  withinMs: number,
  everyMs = 100,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() - started > withinMs) throw new Error(`${what}: not within ${withinMs} ms`);
    await sleep(everyMs);
  }
}

/** The release v2 plus a migration that runs for SLEEP_S seconds: a long backfill, in short. */
async function addSlowRelease(): Promise<void> {
  const work = join(root, 'slow-work');
  const git = (...args: string[]) =>
    run({
      file: 'git',
      args: [
        '-c',
        'user.name=Farm Chat Dev',
        '-c',
        'user.email=dev@farm-chat.example',
        '-c',
        'advice.detachedHead=false',
        ...args,
      ],
      cwd: work,
    });
  await run({ file: 'git', args: ['clone', '-q', origin.dir, work] });
  await git('checkout', '-q', '--detach', 'v2');
  const dir = join(work, 'prisma', 'migrations', '20260301000000_slow_backfill');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'migration.sql'), `-- A long backfill, in short.\nSELECT pg_sleep(${SLEEP_S});\n`);
  await git('add', '-A');
  await git('commit', '-q', '--no-verify', '-m', 'A slow backfill');
  await git('tag', '-a', SLOW, '-m', 'A slow backfill');
  await git('push', '-q', 'origin', `refs/tags/${SLOW}`);
  origin.tags[SLOW] = (await git('rev-parse', `${SLOW}^{commit}`)).stdout.trim();
}

/** Advisory locks held or awaited in the production database. */
const advisoryLocks = () =>
  superuser<{ pid: number; granted: boolean }>(
    `SELECT pid, granted FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = $1)`,
    [name],
  );

/**
 * Waits until `running` shows the command under the worker, then SIGKILLs the worker alone and
 * returns what ran under it then (the worker excluded) and how long they took to be gone.
 */
async function killWorkerDuring(
  running: (tree: number[]) => boolean | Promise<boolean>,
  what: string,
): Promise<{ commandPids: number[]; goneMs: number; commands: string[] }> {
  const pid = worker.pid!;
  const tree = await until(
    what,
    async () => {
      const t = processTree(pid).slice(1);
      return (await running(t)) ? t : undefined;
    },
    240_000,
    100,
  );
  const commands = tree.map((p) => cmdline(p).join(' ')).filter(Boolean);
  process.kill(pid, 'SIGKILL');
  const killedAt = Date.now();
  await until(`the worker ${pid} to die`, () => (alive(pid) ? undefined : true), 5_000, 20);
  await until(
    `${what}: every process the worker started to die (${tree.join(', ')})`,
    () => (tree.some(alive) ? undefined : true),
    10_000,
    50,
  );
  return { commandPids: tree, goneMs: Date.now() - killedAt, commands };
}

async function result(handle: WorkflowHandle): Promise<DeploymentReport> {
  try {
    return await deploymentResult(handle);
  } catch (e) {
    // Outcomes other than deployed fail the workflow with the report as details.
    if (e instanceof WorkflowFailedError) {
      const details = (e.cause as { details?: unknown[] } | undefined)?.details;
      if (details?.[0]) return details[0] as DeploymentReport;
    }
    throw e;
  }
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'safe-deploy-killed-'));
  const password = `pw-${randomBytes(9).toString('base64url')}`;
  await superuser(`CREATE ROLE ${name} LOGIN CREATEDB PASSWORD '${password}'`);
  await superuser(`CREATE DATABASE ${name} OWNER ${name}`);
  const { host, port } = inject('pg');
  databaseUrl = `postgresql://${name}:${encodeURIComponent(password)}@${host}:${port}/${name}`;
  origin = await buildFarmChatOrigin(join(root, 'origin.git'));
  await addSlowRelease();
  prod = await createFarmChatProduction({
    origin,
    rootDir: join(root, 'production'),
    databaseUrl,
    port: await freePort(),
    seed: { users: 6, messagesPerUser: 2 },
  });
  const configPath = join(root, 'safe-deploy.config.json');
  // No rehearsal: the slow migration would run on the copy first (and this is about the real one).
  writeFarmChatWorkerConfig(configPath, prod, {
    backupDir: join(root, 'backups'),
    pgBinDir: inject('pg').binDir,
    environment,
    overrides: { rehearsal: { enabled: false } },
  });
  worker = new FaultWorker(
    {
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      SAFE_DEPLOY_CONFIG: configPath,
      SAFE_DEPLOY_TASK_QUEUE: taskQueue,
      SAFE_DEPLOY_WORKFLOW_BUNDLE: inject('workflowBundlePath'),
      [FAULT_PLAN_ENV]: join(root, 'no-fault-plan.json'), // no plan: no fault injected
    },
    join(root, 'worker.log'),
  );
  await worker.start();
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
}, 600_000);

afterAll(async () => {
  await worker?.stop();
  await connection?.close();
  if (prod) await stopFarmChat(prod).catch(() => undefined);
  await superuser(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
  await superuser(`DROP ROLE IF EXISTS ${name}`).catch(() => undefined);
  if (root) rmSync(root, { recursive: true, force: true });
});

const start = (ref: string) =>
  client.workflow.start('safeDeployment', {
    taskQueue,
    workflowId: `test-killed-${ref}-${randomUUID().slice(0, 8)}`,
    args: [{ app: 'farm-chat', environment, ref, reason: 'worker killed mid-command', requestedBy: 'tests' }],
  });

describe('a worker SIGKILLed mid-command takes its commands with it', () => {
  it('mid npm ci (staging the release, before writes pause): npm is gone within seconds; a new worker stages again and the deployment ends deployed', async () => {
    const handle = await start('v2');
    // npm rewrites its process title: argv is `node …/npm ci …` for a moment, then the single
    // title `npm ci` — match the joined line, or the title is missed.
    const killed = await killWorkerDuring(
      (tree) => tree.some((p) => /(^|\/)npm(-cli\.js)? ci( |$)/.test(cmdline(p).join(' '))),
      'npm ci under the worker',
    );
    expect(killed.commands).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/reaper\.cjs$/),
        expect.stringMatching(/(^|\/)npm(-cli\.js)? ci( |$)/),
      ]),
    );
    expect(killed.goneMs).toBeLessThan(5_000);
    await worker.start();
    const report = await result(handle);
    expect(report.outcome).toBe('deployed');
    expect((await activityAttempts(handle, { activity: 'stageRelease', input: {} })).attempts).toBe(2);
  }, 420_000);

  it("mid prisma migrate deploy: prisma is gone within seconds, the retry ends the session it left (and Prisma's advisory lock), then the rollback restores the backup", async () => {
    const handle = await start(SLOW);
    const sleeping = () =>
      superuser<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND query LIKE '%pg_sleep(${SLEEP_S})%' AND pid <> pg_backend_pid()`,
        [name],
      );
    // The app's own CLI, started directly: node …/node_modules/prisma/build/index.js migrate deploy.
    const killed = await killWorkerDuring(
      async (tree) =>
        tree.some((p) => cmdline(p).some((a) => a.endsWith(PRISMA_ENTRY))) && (await sleeping()).length > 0,
      'the slow migration under prisma migrate deploy',
    );
    expect(killed.commands).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/reaper\.cjs$/),
        expect.stringMatching(/\/node_modules\/prisma\/build\/index\.js migrate deploy$/),
      ]),
    );
    expect(killed.goneMs).toBeLessThan(5_000);
    const killedAt = Date.now();
    // PostgreSQL notices a vanished client only when its statement ends: the session, and the
    // lock, outlive prisma — here for SLEEP_S seconds, for a real backfill as long as it runs.
    const [holder] = await advisoryLocks();
    expect(holder?.granted).toBe(true);
    expect((await sleeping()).map((r) => r.pid)).toEqual([holder!.pid]);

    await worker.start();
    const released = until(
      "Prisma's advisory lock to be released",
      async () => ((await advisoryLocks()).length === 0 ? Date.now() - killedAt : undefined),
      SLEEP_S * 1000,
      250,
    );
    const report = await result(handle);
    // The retry came after the heartbeat timeout (20 s) and ended the left session at once.
    expect(await released).toBeLessThan((SLEEP_S - 30) * 1000);
    expect((await activityAttempts(handle, { activity: 'migrateDatabase', input: {} })).attempts).toBe(2);
    // The lock was free (no P1002): the retry met the killed attempt's migration, recorded by Prisma
    // as started and never finished (P3009). A migration cut off mid-way is not run again blindly:
    // the deployment rolls back, the database restored from its backup.
    expect(report.error?.type).toBe('MigrationFailed');
    expect(report.error?.message).toContain('P3009');
    expect(report.error?.message).not.toContain('P1002');
    expect(report.outcome).toBe('rolled-back');
    expect(report.rollback?.databaseRestored).toBe(true);
    expect(await advisoryLocks()).toEqual([]);
    expect(await sleeping()).toEqual([]);
  }, 600_000);
});
