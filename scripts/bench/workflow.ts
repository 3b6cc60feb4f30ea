/**
 * Deployments through the real thing: a Temporal dev server, a safe-deploy worker process
 * (`node dist/src/worker.js`, whose memory is watched) and farm-chat in "production" on a
 * database of the benchmark's size. Between runs production goes back to v1: its database from
 * a pristine copy, its code checked out and reinstalled.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import pg from 'pg';
import { run } from '../../src/exec/run.js';
import type { DeploymentReport } from '../../src/shared/report.js';
import { startDevServer, stopProcess, type DevServer } from '../lib/devServer.js';
import {
  buildFarmChatOrigin,
  checkoutFarmChat,
  createFarmChatProduction,
  installFarmChat,
  runAppctl,
  stopFarmChat,
  waitForFarmChatHealth,
  type FarmChatOrigin,
  type FarmChatProduction,
} from '../lib/farmChat.js';
import { writeFarmChatWorkerConfig } from '../lib/farmChatConfig.js';
import { freePort, waitUntil } from '../lib/ports.js';
import type { BenchDb } from './recovery.js';
import { fillFarmChatDatabase } from './sampleData.js';
import { deploymentResult } from '../../src/cli/deploymentResult.js';

/** A release whose verification fails after its migration applied: v2 plus a check that cannot pass. */
export const FAILS_VERIFICATION = 'v2-fails-verification';
export const PRODUCTION_DATABASE = 'farm_chat';
const PRISTINE = 'farm_chat_pristine';
/** v1 migrated and seeded, before the fill: what another size is grown from. */
const V1_EMPTY = 'farm_chat_v1_empty';

/**
 * How the app's code is laid out on the host. `in-place`: one git working copy, checked out and
 * reinstalled on rollback. `releases`: a directory per release with its own node_modules and a
 * `current` symlink, switched back on rollback. Each layout is a production of its own on the
 * same database; only the configured one runs.
 */
export type Layout = 'in-place' | 'releases';
export const LAYOUTS: readonly Layout[] = ['in-place', 'releases'];

const gitEnv = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@farm-chat.example',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@farm-chat.example',
};
const git = (args: string[], cwd?: string) => run({ file: 'git', args, cwd, env: gitEnv, timeoutMs: 120_000 });

/** Tags v2-fails-verification in the origin: v2 whose manifest adds a check /health cannot pass. */
async function addFailingRelease(origin: FarmChatOrigin, workDir: string): Promise<void> {
  await git(['clone', '-q', origin.dir, workDir]);
  await git(['-c', 'advice.detachedHead=false', 'checkout', '-q', 'v2'], workDir);
  const manifestPath = join(workDir, '.safe-deploy.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { checks: unknown[] };
  manifest.checks.push({ name: 'bench-fails-on-purpose', method: 'GET', path: '/health', expectStatus: 418 });
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
  await git(['commit', '-q', '-am', 'v2 whose verification fails (benchmark)'], workDir);
  await git(['tag', '-a', FAILS_VERIFICATION, '-m', 'verification fails on purpose'], workDir);
  await git(['push', '-q', 'origin', FAILS_VERIFICATION], workDir);
  rmSync(workDir, { recursive: true, force: true });
}

/** Peak resident memory of a process since the last reset (Linux: VmHWM, reset through clear_refs). */
export class PeakRss {
  private sampled = 0;
  private timer?: NodeJS.Timeout;
  constructor(private readonly pid: number) {}
  private status(field: string): number {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  }
  /** Forgets the peak so far (startup, bundling the workflows) and samples every 100 ms as a fallback. */
  reset(): void {
    try {
      writeFileSync(`/proc/${this.pid}/clear_refs`, '5');
    } catch {
      /* not allowed here: the samples remain */
    }
    this.sampled = 0;
    clearInterval(this.timer);
    this.timer = setInterval(() => {
      this.sampled = Math.max(this.sampled, this.status('VmRSS'));
    }, 100);
    this.timer.unref();
  }
  peakBytes(): number {
    return Math.max(this.sampled, this.status('VmHWM'));
  }
  stop(): void {
    clearInterval(this.timer);
  }
}

export interface Deployment {
  report: DeploymentReport;
  /** From the client's start request to the result. */
  wallMs: number;
  handle: WorkflowHandle;
}

export interface WorkflowBench {
  /** The production of the configured layout (the one running). */
  prod(): FarmChatProduction;
  configPath: string;
  backupDir: string;
  databaseBytes: number;
  rss: PeakRss;
  /** Writes the worker config for this method, layout and writes policy (default stop), and runs that layout's production (stopping the other). */
  configure(backup: Record<string, unknown>, layout: Layout, writes?: 'stop' | 'detect'): Promise<void>;
  deploy(ref: string): Promise<Deployment>;
  /** Production back to v1: database from the pristine copy, code and dependencies, backups gone. */
  reset(): Promise<void>;
  /** Drops the databases and dumps deployments left (snapshots, kept-aside databases). */
  clearBackups(): Promise<void>;
  /** Production (and its pristine copy) grown afresh to another size, v1 running on it: its size in bytes. */
  resize(sizeMb: number): Promise<number>;
  close(): Promise<void>;
}

export async function setUpWorkflowBench(o: {
  root: string;
  projectRoot: string;
  db: BenchDb;
  sizeMb: number;
  temporalCli: string;
  log: (line: string) => void;
}): Promise<WorkflowBench> {
  const { db, log } = o;
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const c of closers.reverse()) await c().catch(() => undefined);
  };
  try {
    const server: DevServer = await startDevServer({
      cli: o.temporalCli,
      port: await freePort(),
      dbFile: join(o.root, 'temporal.db'),
      logFile: join(o.root, 'temporal.log'),
    });
    closers.push(() => server.stop());
    log(`Temporal dev server on ${server.address}`);

    const origin = await buildFarmChatOrigin(join(o.root, 'origin.git'));
    await addFailingRelease(origin, mkdtempSync(join(o.root, 'release-')));
    await db.query(`CREATE DATABASE "${PRODUCTION_DATABASE}"`, 'postgres');
    const prod = await createFarmChatProduction({
      origin,
      rootDir: join(o.root, 'production'),
      databaseUrl: db.url(PRODUCTION_DATABASE),
      port: await freePort(),
    });
    closers.push(() => stopFarmChat(prod));
    // The same app in release directories, on the same database (already migrated and seeded).
    const releasesProd = await createFarmChatProduction({
      origin,
      rootDir: join(o.root, 'production-releases'),
      databaseUrl: db.url(PRODUCTION_DATABASE),
      port: await freePort(),
      seed: false,
      layout: 'releases',
    });
    closers.push(() => stopFarmChat(releasesProd));
    await stopFarmChat(releasesProd);
    const v1ReleaseDir = realpathSync(releasesProd.appDir);
    const prods: Record<Layout, FarmChatProduction> = { 'in-place': prod, releases: releasesProd };
    log(
      `farm-chat v1 on ${prod.baseUrl} (in place) and ${releasesProd.baseUrl} (release directories); filling its database to ${o.sizeMb} MB`,
    );
    await stopFarmChat(prod);
    await db.query(`CREATE DATABASE "${V1_EMPTY}" TEMPLATE "${PRODUCTION_DATABASE}" STRATEGY FILE_COPY`, 'postgres');
    const fill = async (sizeMb: number) => {
      const c = new pg.Client({ connectionString: db.url(PRODUCTION_DATABASE) });
      await c.connect();
      const f = await fillFarmChatDatabase(c, { targetBytes: sizeMb * 1024 * 1024 }).finally(() => c.end());
      log(
        `  ${f.users} users, ${f.messages} messages, ${(f.sizeBytes / 1048576).toFixed(0)} MB in ${(f.durationMs / 1000).toFixed(0)} s`,
      );
      await db.query(`CREATE DATABASE "${PRISTINE}" TEMPLATE "${PRODUCTION_DATABASE}" STRATEGY FILE_COPY`, 'postgres');
      return f;
    };
    const filled = await fill(o.sizeMb);
    await runAppctl(prod, 'start');
    await waitForFarmChatHealth(prod);

    const configPath = join(o.root, 'safe-deploy.config.json');
    const backupDir = join(o.root, 'backups');
    const taskQueue = 'safe-deploy-bench';
    const workerLog = join(o.root, 'worker.log');
    let workerPid = 0;
    let layout: Layout = 'in-place';
    const writeConfig = (backup: Record<string, unknown>, writes: 'stop' | 'detect' = 'stop') =>
      writeFarmChatWorkerConfig(configPath, prods[layout], {
        backupDir,
        pgBinDir: db.cluster.binDir,
        environment: 'production',
        backup: { format: 'directory', jobs: 2, ...backup },
        writes,
      });
    writeConfig({ method: 'dump' });
    const out = openSync(workerLog, 'w');
    const worker: ChildProcess = spawn(process.execPath, [join(o.projectRoot, 'dist', 'src', 'worker.js')], {
      env: {
        ...process.env,
        TEMPORAL_ADDRESS: server.address,
        SAFE_DEPLOY_CONFIG: configPath,
        SAFE_DEPLOY_TASK_QUEUE: taskQueue,
      },
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    workerPid = worker.pid!;
    closers.push(() => stopProcess(workerPid));
    await waitUntil(
      `the worker to start (log: ${workerLog})`,
      async () => existsSync(workerLog) && readFileSync(workerLog, 'utf8').includes('safe-deploy worker:'),
      120_000,
    );
    const rss = new PeakRss(workerPid);
    closers.push(async () => rss.stop());
    const connection = await Connection.connect({ address: server.address });
    closers.push(() => connection.close());
    const client = new Client({ connection });

    const clearBackups = async () => {
      const rows = await db.cluster.query<{ datname: string }>(
        'SELECT datname FROM pg_database WHERE datname LIKE $1',
        [`${PRODUCTION_DATABASE}\\_sd\\_%`],
      );
      for (const { datname } of rows.rows) await db.cluster.query(`DROP DATABASE "${datname}" WITH (FORCE)`);
      rmSync(backupDir, { recursive: true, force: true });
    };
    let runs = 0;
    return {
      prod: () => prods[layout],
      configPath,
      backupDir,
      databaseBytes: filled.sizeBytes,
      rss,
      clearBackups,
      async resize(sizeMb) {
        const live = prods[layout];
        await stopFarmChat(live);
        await clearBackups();
        await db.cluster.query(`DROP DATABASE IF EXISTS "${PRODUCTION_DATABASE}" WITH (FORCE)`);
        await db.cluster.query(`DROP DATABASE IF EXISTS "${PRISTINE}" WITH (FORCE)`);
        await db.query(
          `CREATE DATABASE "${PRODUCTION_DATABASE}" TEMPLATE "${V1_EMPTY}" STRATEGY FILE_COPY`,
          'postgres',
        );
        log(`farm-chat production grown afresh to ${sizeMb} MB`);
        const f = await fill(sizeMb);
        await runAppctl(live, 'start');
        await waitForFarmChatHealth(live);
        await db.cluster.query('CHECKPOINT');
        return f.sizeBytes;
      },
      async configure(backup, next, writes) {
        if (next !== layout) {
          await stopFarmChat(prods[layout]);
          layout = next;
          await runAppctl(prods[layout], 'start');
          await waitForFarmChatHealth(prods[layout]);
        }
        writeConfig(backup, writes);
      },
      async deploy(ref) {
        const started = Date.now();
        const handle = await client.workflow.start('safeDeployment', {
          taskQueue,
          workflowId: `bench-${ref}-${++runs}-${Date.now()}`,
          args: [{ app: 'farm-chat', environment: 'production', ref, reason: 'benchmark' }],
        });
        const report = await deploymentResult(handle);
        return { report, wallMs: Date.now() - started, handle };
      },
      async reset() {
        const live = prods[layout];
        await stopFarmChat(live);
        await clearBackups();
        await db.cluster.query(`DROP DATABASE IF EXISTS "${PRODUCTION_DATABASE}" WITH (FORCE)`);
        await db.query(
          `CREATE DATABASE "${PRODUCTION_DATABASE}" TEMPLATE "${PRISTINE}" STRATEGY FILE_COPY`,
          'postgres',
        );
        if (layout === 'releases') {
          // v1's release directory is still there, node_modules and all: point current back at it.
          const next = `${live.appDir}.bench-${Date.now()}`;
          symlinkSync(v1ReleaseDir, next);
          renameSync(next, live.appDir);
        } else {
          await checkoutFarmChat(live.appDir, 'v1');
          await installFarmChat(live.appDir);
        }
        await runAppctl(live, 'maintenance-off');
        await runAppctl(live, 'start');
        await waitForFarmChatHealth(live);
        await db.cluster.query('CHECKPOINT');
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
