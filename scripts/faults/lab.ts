/**
 * The fault matrix's lab: built once, reused by every case. A Temporal dev server whose history
 * lives in a file (so that it can be stopped and started again) — or, with `server: 'cluster'`, the
 * Temporal server `npm run cluster` runs, on PostgreSQL (killed and started again) — and one or
 * more *stations*:
 * farm-chat v1 in "production" (its own PostgreSQL cluster and database, clone, app and
 * environment in the worker config) with its own fault worker process on its own task queue, so
 * that cases can run side by side — a PostgreSQL outage hits only its own station — each set up
 * one way (cases.ts: in place with dumps, or release directories with snapshots). Also: a template of v1's database and a copy of v1's node_modules (to put v1
 * back after a case that deployed), and a reference database migrated to v2 by the app's own
 * Prisma (what "the v2 schema" must look like).
 */
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { parseEnvFile } from '../../src/activities/activityDeps.js';
import { run } from '../../src/exec/run.js';
import { workflowsPath } from '../../src/worker.js';
import { killServer, readClusterState, startCluster, startServer, stopCluster } from '../lib/cluster.js';
import { startDevServer, stopProcess } from '../lib/devServer.js';
import {
  buildFarmChatOrigin,
  checkoutFarmChat,
  FARM_CHAT_FAKE_ENV,
  createFarmChatProduction,
  migrateFarmChat,
  runAppctl,
  waitForFarmChatHealth,
  type FarmChatOrigin,
  type FarmChatProduction,
} from '../lib/farmChat.js';
import { farmChatWorkerConfig } from '../lib/farmChatConfig.js';
import { startPgCluster, stopPgCluster, type PgCluster } from '../lib/pgCluster.js';
import { freePort } from '../lib/ports.js';
import { ensureTemporalServer } from '../lib/temporalServer.js';
import { ensureTools } from '../lib/tools.js';
import { databaseState, type DatabaseState } from './dbFingerprint.js';
import { dependencyProblems } from './endState.js';
import type { Setup } from './cases.js';
import { FAULT_PLAN_ENV } from './plan.js';
import { FaultWorker, projectRoot } from './processes.js';

const ROLE = 'farm_chat';
const V1_TEMPLATE = 'farm_chat_v1_template';
const V2_REFERENCE = 'farm_chat_v2_reference';

export interface DevServerControl {
  /** What it is, for the runner's lines: `dev server`, `Temporal server v1.32.2 on PostgreSQL`. */
  name: string;
  address: string;
  pid(): number;
  /** Stops the dev server (SIGTERM, waits for it to exit); SIGKILLs the cluster's (a crash). */
  stop(): Promise<void>;
  /** Starts it again on the same port(s), with the same --db-filename (the same PostgreSQL databases). */
  start(): Promise<void>;
  /** Stops it for good (the lab's close). */
  close(): Promise<void>;
}

/** One farm-chat production and the fault worker that deploys it. */
export interface Station {
  name: string;
  setup: Setup;
  /** Its environment in the worker config (one deployment lock each). */
  environment: string;
  /**
   * The same production under a second environment, the only one with the rehearsal on (the
   * cases that rehearse deploy through it). Its deployment lock is its own: the runner never runs
   * two cases on one station at once.
   */
  rehearsedEnvironment: string;
  prod: FarmChatProduction;
  /** Its own PostgreSQL server: the pg-* faults stop or crash it while the other stations work on. */
  cluster: PgCluster;
  database: string;
  taskQueue: string;
  /** The fault worker reads the current case's plan here (no file: no fault). */
  planFile: string;
  worker: FaultWorker;
  /** Puts v1 back exactly as it was set up: database from the template, code, node_modules, app. */
  resetToV1(): Promise<number>;
  /** Drops what rollbacks kept aside (failed databases, snapshots) and release directories other than v1's. */
  dropLeftovers(): Promise<void>;
}

export interface Lab {
  dir: string;
  logDir: string;
  pgBinDir: string;
  server: DevServerControl;
  /** The first station's cluster, which also holds the v2 reference database. */
  cluster: PgCluster;
  origin: FarmChatOrigin;
  stations: Station[];
  client: Client;
  /** What a deployed v2 database must be: schema, migrations, tables (from the reference database). */
  v2Reference: DatabaseState;
  /** Values no history or worker log may hold, by name: the app role's password, the app's secrets, each station's bypass token. */
  secrets(): Record<string, string>;
  close(): Promise<void>;
}

export interface LabOptions {
  dir: string;
  log: (line: string) => void;
  /** Productions side by side, in place with dumps (default 1). */
  stations?: number;
  /** Or how each production side by side is set up (overrides `stations`). */
  setups?: Setup[];
  /** A prebuilt workflow bundle (vitest's global set-up makes one); default: bundled here. */
  workflowBundlePath?: string;
  seed?: { users: number; messagesPerUser: number };
  /** The Temporal server: the dev server (default), or the one `npm run cluster` runs, on PostgreSQL. */
  server?: 'dev' | 'cluster';
}

/** What a lab leaves running, so that the next run (or `--stop`) can stop it. */
interface LabState {
  serverPid?: number;
  /** The cluster's state folder (`server: 'cluster'`). */
  clusterStateDir?: string;
  pgDataDirs: string[];
  pgBinDir?: string;
  workerPids: number[];
  prods: FarmChatProduction[];
}

const SETUPS_IN_PLACE: Setup = 'in-place+dump';
const quoteIdent = (s: string) => '"' + s.replaceAll('"', '""') + '"';

/** Stops what a lab in `dir` left running (a `--keep` run, or one that was interrupted). */
export async function stopLeftovers(dir: string): Promise<boolean> {
  const file = join(dir, 'state.json');
  if (!existsSync(file)) return false;
  const state = JSON.parse(readFileSync(file, 'utf8')) as LabState;
  for (const pid of state.workerPids) await stopProcess(pid, 5_000);
  for (const prod of state.prods) await runAppctl(prod, 'stop').catch(() => undefined);
  if (state.serverPid) await stopProcess(state.serverPid, 10_000);
  if (state.clusterStateDir) await stopCluster(state.clusterStateDir);
  for (const dataDir of state.pgDataDirs ?? []) if (existsSync(dataDir)) stopPgCluster(dataDir, state.pgBinDir);
  rmSync(file, { force: true });
  return true;
}

/**
 * The lab's Temporal server. The dev server: its history in a file, so that a restart finds every
 * workflow again. The cluster: the server `npm run cluster` runs (built when missing), its state
 * folder in the lab's, its history in its own throwaway PostgreSQL.
 */
async function startLabServer(
  kind: 'dev' | 'cluster',
  o: { dir: string; logDir: string; cli: string; log: (line: string) => void; state: LabState; save: () => void },
): Promise<DevServerControl> {
  if (kind === 'cluster') {
    const stateDir = join(o.dir, 'temporal-cluster');
    const tools = await ensureTemporalServer(projectRoot(), o.log);
    o.state.clusterStateDir = stateDir;
    o.save();
    const cluster = await startCluster({ projectRoot: projectRoot(), stateDir, tools, temporalCli: o.cli, log: o.log });
    o.log(`Temporal server v${tools.version} on PostgreSQL ${cluster.address}, state in ${stateDir}`);
    return {
      name: `Temporal server v${tools.version} on PostgreSQL`,
      address: cluster.address,
      pid: () => readClusterState(stateDir)?.serverPid ?? 0,
      stop: async () => void (await killServer(stateDir)),
      start: async () => void (await startServer(stateDir, tools, o.cli)),
      close: async () => {
        // Its log outlives the lab, as the dev server's does.
        const logFile = readClusterState(stateDir)?.logFile;
        if (logFile && existsSync(logFile)) cpSync(logFile, join(o.logDir, 'temporal-server.log'));
        await stopCluster(stateDir);
      },
    };
  }
  const port = await freePort();
  const serverOptions = {
    cli: o.cli,
    port,
    dbFile: join(o.dir, 'temporal.db'),
    logFile: join(o.logDir, 'temporal.log'),
  };
  let serverPid = (await startDevServer(serverOptions)).pid;
  const stop = () => stopProcess(serverPid, 30_000);
  o.state.serverPid = serverPid;
  o.save();
  o.log(`Temporal dev server 127.0.0.1:${port}, history in ${serverOptions.dbFile}`);
  return {
    name: 'dev server',
    address: `127.0.0.1:${port}`,
    pid: () => serverPid,
    stop,
    start: async () => {
      serverPid = (await startDevServer(serverOptions)).pid;
      o.state.serverPid = serverPid;
      o.save();
    },
    close: stop,
  };
}

export async function createLab(o: LabOptions): Promise<Lab> {
  const { dir, log } = o;
  await stopLeftovers(dir);
  rmSync(dir, { recursive: true, force: true });
  const logDir = join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const state: LabState = { workerPids: [], prods: [], pgDataDirs: [] };
  const save = () => writeFileSync(join(dir, 'state.json'), JSON.stringify(state, null, 2));
  const tools = ensureTools(projectRoot(), log);
  const cleanups: (() => Promise<void>)[] = [];
  try {
    const server = await startLabServer(o.server ?? 'dev', { dir, logDir, cli: tools.temporal, log, state, save });
    cleanups.push(() => server.close());

    const newCluster = async () => {
      const c = await startPgCluster();
      state.pgDataDirs.push(c.dataDir);
      state.pgBinDir = c.binDir;
      save();
      cleanups.push(() => c.stop());
      return c;
    };
    const cluster = await newCluster();
    const admin = async (sql: string) => void (await cluster.query(sql));
    const password = randomBytes(12).toString('base64url');
    const firstUrl = await cluster.createAppDatabase('farm_chat', ROLE, password);
    log(`PostgreSQL on ${cluster.port}`);

    const origin = await buildFarmChatOrigin(join(dir, 'origin.git'));
    const first = await createFarmChatProduction({
      origin,
      rootDir: join(dir, 'production'),
      databaseUrl: firstUrl,
      port: await freePort(),
      seed: o.seed,
    });
    state.prods.push(first);
    save();
    cleanups.push(async () => void (await runAppctl(first, 'stop').catch(() => undefined)));

    // v1 as it is now, to come back to: the database as a template, node_modules as a copy.
    await runAppctl(first, 'stop');
    await admin(`CREATE DATABASE ${V1_TEMPLATE} TEMPLATE farm_chat`);
    const v1NodeModules = join(dir, 'v1-node_modules');
    await run({ file: 'cp', args: ['-a', join(first.appDir, 'node_modules'), v1NodeModules], timeoutMs: 300_000 });

    // More productions: copies of the first (code, node_modules, env file) on a database of their
    // own; a releases+snapshot one as safe-deploy lays it out: repo/ (a mirror of the origin),
    // releases/<time>-<sha>/ (v1, a shared clone with v1's node_modules) and current → it.
    const setups = o.setups ?? Array.from({ length: o.stations ?? 1 }, () => SETUPS_IN_PLACE);
    if (setups[0] !== SETUPS_IN_PLACE)
      throw new Error(`the lab's first station is ${SETUPS_IN_PLACE}, not ${setups[0]}`);
    const prods = [first];
    const clusters = [cluster];
    const v1Dump = join(dir, 'v1.dump');
    await run({
      file: join(tools.pgBinDir, 'pg_dump'),
      args: ['--format=custom', `--file=${v1Dump}`, '--no-password'],
      env: {
        PGHOST: cluster.host,
        PGPORT: String(cluster.port),
        PGUSER: cluster.superuser,
        PGPASSWORD: cluster.password,
        PGDATABASE: V1_TEMPLATE,
      },
      secrets: [cluster.password],
      timeoutMs: 300_000,
    });
    for (let i = 1; i < setups.length; i++) {
      const database = `farm_chat_${String.fromCharCode(97 + i)}`;
      // Its own server, holding v1 (restored from the first's template, owners kept) and its own template of it.
      const own = await newCluster();
      await own.createAppDatabase(database, ROLE, password);
      await run({
        file: join(tools.pgBinDir, 'pg_restore'),
        args: ['--exit-on-error', '--no-password', `--dbname=${database}`, v1Dump],
        env: { PGHOST: own.host, PGPORT: String(own.port), PGUSER: own.superuser, PGPASSWORD: own.password },
        secrets: [own.password],
        timeoutMs: 300_000,
      });
      await own.query(`CREATE DATABASE ${V1_TEMPLATE} TEMPLATE ${database} OWNER ${ROLE}`);
      clusters.push(own);
      const rootDir = join(dir, `production-${String.fromCharCode(97 + i)}`);
      const appPort = await freePort();
      const releases = setups[i] === 'releases+snapshot';
      const prod: FarmChatProduction = {
        appDir: join(rootDir, releases ? 'current' : 'app'),
        layout: releases ? 'releases' : 'in-place',
        repository: first.repository,
        runDir: join(rootDir, 'run'),
        envFile: join(rootDir, 'app.env'),
        port: appPort,
        baseUrl: `http://127.0.0.1:${appPort}`,
        databaseUrl: own.url(database, ROLE, password),
      };
      mkdirSync(rootDir, { recursive: true });
      if (releases) {
        await run({
          file: 'git',
          args: ['clone', '-q', '--mirror', origin.dir, join(rootDir, 'repo')],
          timeoutMs: 120_000,
        });
        const v1Dir = join(rootDir, 'releases', `20260101000000-${origin.tags.v1!.slice(0, 12)}`);
        mkdirSync(join(rootDir, 'releases'));
        await run({
          file: 'git',
          args: ['clone', '-q', '--shared', '--no-checkout', join(rootDir, 'repo'), v1Dir],
          timeoutMs: 120_000,
        });
        await checkoutFarmChat(v1Dir, 'v1');
        await run({ file: 'cp', args: ['-a', v1NodeModules, join(v1Dir, 'node_modules')], timeoutMs: 300_000 });
        symlinkSync(v1Dir, prod.appDir);
      } else {
        await run({ file: 'cp', args: ['-a', first.appDir, prod.appDir], timeoutMs: 300_000 });
      }
      const env = {
        ...parseEnvFile(readFileSync(first.envFile, 'utf8')),
        DATABASE_URL: prod.databaseUrl,
        PORT: String(appPort),
      };
      writeFileSync(
        prod.envFile,
        Object.entries(env)
          .map(([k, v]) => `${k}=${v}\n`)
          .join(''),
        { mode: 0o600 },
      );
      prods.push(prod);
      state.prods.push(prod);
      save();
      cleanups.push(async () => void (await runAppctl(prod, 'stop').catch(() => undefined)));
    }
    for (const prod of prods) {
      await runAppctl(prod, 'start');
      await waitForFarmChatHealth(prod);
    }
    log(
      `farm-chat v1 in ${prods.length} production${prods.length > 1 ? 's' : ''}: ${prods.map((p, i) => `${p.baseUrl} (PostgreSQL on ${clusters[i]!.port})`).join(', ')}`,
    );

    // v2's schema as the app's own Prisma makes it, on a copy of v1's database.
    await admin(`CREATE DATABASE ${V2_REFERENCE} TEMPLATE ${V1_TEMPLATE} OWNER ${ROLE}`);
    const referenceDir = join(dir, 'v2-reference');
    await run({ file: 'git', args: ['clone', '-q', origin.dir, referenceDir], timeoutMs: 60_000 });
    await checkoutFarmChat(referenceDir, 'v2');
    // The same Prisma 6.19.3 as v2's lockfile; hard links: nothing here writes to node_modules.
    await run({ file: 'cp', args: ['-al', v1NodeModules, join(referenceDir, 'node_modules')], timeoutMs: 300_000 });
    const referenceUrl = cluster.url(V2_REFERENCE, ROLE, password);
    await migrateFarmChat(referenceDir, referenceUrl);
    const v2Reference = await databaseState(referenceUrl, tools.pgBinDir);
    log(
      `v2 reference: schema ${v2Reference.schemaSha256.slice(0, 12)}, migrations ${v2Reference.migrations.map((m) => m.name).join(', ')}`,
    );

    // One worker config for every station: two environments each, of one production.
    const configPath = join(dir, 'safe-deploy.config.json');
    const environments = prods.map((_, i) => (i === 0 ? 'production' : `production-${String.fromCharCode(97 + i)}`));
    const rehearsed = (environment: string) => `${environment}-rehearsed`;
    const apps = Object.assign(
      {},
      ...prods.flatMap((prod, i) =>
        [false, true].map(
          (rehearsal) =>
            farmChatWorkerConfig(prod, {
              backupDir: join(dir, 'backups'),
              pgBinDir: tools.pgBinDir,
              environment: rehearsal ? rehearsed(environments[i]!) : environments[i],
              ...(setups[i] === 'releases+snapshot' ? { backup: { method: 'snapshot' } } : {}),
              // The rollback cases reach their steps through v2-broken-migration failing on production:
              // with the rehearsal on, it would be caught on a copy first (and the matrix is about faults).
              // The rehearsal's own cases (cases.ts, `rehearsal`) deploy v2 through the second environment.
              ...(rehearsal ? {} : { overrides: { rehearsal: { enabled: false } } }),
            }).apps['farm-chat'],
        ),
      ),
    );
    writeFileSync(
      configPath,
      JSON.stringify({ tools: { pgBinDir: tools.pgBinDir }, apps: { 'farm-chat': apps } }, null, 2) + '\n',
    );

    let workflowBundlePath = o.workflowBundlePath;
    if (!workflowBundlePath) {
      workflowBundlePath = join(dir, 'workflows.js');
      const { code } = await bundleWorkflowCode({
        workflowsPath: workflowsPath(),
        logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} } as never,
      });
      writeFileSync(workflowBundlePath, code);
    }

    const connection = await Connection.connect({ address: server.address });
    cleanups.push(() => connection.close());
    const client = new Client({ connection });

    const stations: Station[] = [];
    for (const [i, prod] of prods.entries()) {
      const name = String.fromCharCode(97 + i);
      const own = clusters[i]!;
      const ownAdmin = async (sql: string) => void (await own.query(sql));
      const database = i === 0 ? 'farm_chat' : `farm_chat_${name}`;
      const taskQueue = `safe-deploy-faults-${name}`;
      const planFile = join(dir, `plan-${name}.json`);
      const worker = new FaultWorker(
        {
          TEMPORAL_ADDRESS: server.address,
          SAFE_DEPLOY_CONFIG: configPath,
          SAFE_DEPLOY_TASK_QUEUE: taskQueue,
          SAFE_DEPLOY_WORKFLOW_BUNDLE: workflowBundlePath,
          [FAULT_PLAN_ENV]: planFile,
        },
        join(logDir, `worker-${name}.log`),
        (pid) => {
          state.workerPids = [...state.workerPids.filter((p) => p !== pid), pid];
          save();
        },
      );
      await worker.start();
      cleanups.push(() => worker.stop());
      const v1Dir = prod.layout === 'releases' ? realpathSync(prod.appDir) : undefined;
      const dropLeftovers = async () => {
        const { rows } = await own.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [
          `${database.replaceAll('_', '\\_')}\\_sd\\_%`,
        ]);
        for (const r of rows) await ownAdmin(`DROP DATABASE IF EXISTS ${quoteIdent(r.datname)} WITH (FORCE)`);
        if (v1Dir) {
          const releasesDir = join(v1Dir, '..');
          for (const name of readdirSync(releasesDir))
            if (join(releasesDir, name) !== v1Dir) rmSync(join(releasesDir, name), { recursive: true, force: true });
        }
      };
      /** Code at v1: the working copy checked out (node_modules from the copy if they changed), or current pointed back at v1's release. */
      const codeToV1 = async () => {
        if (v1Dir) {
          if (realpathSync(prod.appDir) === v1Dir) return;
          const next = `${prod.appDir}.faults-${Date.now()}`;
          symlinkSync(v1Dir, next);
          renameSync(next, prod.appDir);
          return;
        }
        await run({
          file: 'git',
          args: ['-c', 'advice.detachedHead=false', 'checkout', '-q', '-f', '--detach', 'v1'],
          cwd: prod.appDir,
        });
        await run({ file: 'git', args: ['clean', '-q', '-f', '-d'], cwd: prod.appDir });
        if ((await dependencyProblems(prod.appDir)).length > 0) {
          rmSync(join(prod.appDir, 'node_modules'), { recursive: true, force: true });
          await run({ file: 'cp', args: ['-a', v1NodeModules, join(prod.appDir, 'node_modules')], timeoutMs: 300_000 });
        }
      };
      stations.push({
        name,
        setup: setups[i]!,
        environment: environments[i]!,
        rehearsedEnvironment: rehearsed(environments[i]!),
        prod,
        cluster: own,
        database,
        taskQueue,
        planFile,
        worker,
        dropLeftovers,
        async resetToV1() {
          const started = Date.now();
          await runAppctl(prod, 'stop');
          rmSync(join(prod.runDir, 'maintenance'), { force: true });
          await ownAdmin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
          await ownAdmin(`CREATE DATABASE ${database} TEMPLATE ${V1_TEMPLATE} OWNER ${ROLE}`);
          await codeToV1();
          await dropLeftovers();
          await runAppctl(prod, 'start');
          await waitForFarmChatHealth(prod);
          return Date.now() - started;
        },
      });
    }

    return {
      dir,
      logDir,
      pgBinDir: tools.pgBinDir,
      server,
      cluster,
      origin,
      stations,
      client,
      v2Reference,
      secrets: () => ({
        'database password': password,
        // Not SATSHOT_MCP_PORT: a port is configuration, and its four digits recur by chance as a
        // process id in the worker identities of a long history (seen: a false leak in CI).
        ...Object.fromEntries(Object.entries(FARM_CHAT_FAKE_ENV).filter(([name]) => name !== 'SATSHOT_MCP_PORT')),
        ...Object.fromEntries(
          stations.map((st) => [
            `MAINTENANCE_BYPASS_TOKEN of ${st.name}`,
            parseEnvFile(readFileSync(st.prod.envFile, 'utf8')).MAINTENANCE_BYPASS_TOKEN ?? '',
          ]),
        ),
      }),
      async close() {
        for (const c of cleanups.reverse()) await c().catch(() => undefined);
        // Keep what tells the story (logs, the dev server's history); drop the bulk (node_modules copies).
        for (const name of readdirSync(dir))
          if (name !== 'logs' && name !== 'temporal.db') rmSync(join(dir, name), { recursive: true, force: true });
      },
    };
  } catch (err) {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    throw err;
  }
}
