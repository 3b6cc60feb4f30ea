/**
 * `npm run demo`: a real deployment on this machine, from nothing. Installs what is missing,
 * starts a Temporal dev server (Web UI on 8233), a throwaway PostgreSQL cluster, farm-chat v1
 * in "production" with real users and messages, and a safe-deploy worker; then deploys v2
 * through the client, step by step, and prints the report.
 *
 *   npm run demo                      keeps the dev server, worker and app running for the Web UI
 *   npm run demo -- --exit            stops everything it started (also when CI=true)
 *   npm run demo -- --ref v2-broken-check       a post-deploy check fails: watch the rollback
 *   npm run demo -- --ref v2-broken-migration   the migration fails on the rehearsal copy: aborted, production untouched
 *   npm run demo -- --stop            stops what an earlier run left running
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { followDeployment } from '../src/cli/follow.js';
import { renderReport } from '../src/cli/render.js';
import { outcomeLine, parseRequest, startDeployment } from '../src/cli/start.js';
import { DEFAULT_TASK_QUEUE } from '../src/shared/constants.js';
import { startDevServer, stopProcess } from './lib/devServer.js';
import { buildFarmChatOrigin, createFarmChatProduction, runAppctl, type FarmChatProduction } from './lib/farmChat.js';
import { writeFarmChatWorkerConfig } from './lib/farmChatConfig.js';
import { startPgCluster, stopPgCluster } from './lib/pgCluster.js';
import { freePort, isListening, waitUntil } from './lib/ports.js';
import { ensureTools } from './lib/tools.js';

const root = fileURLToPath(new URL('../..', import.meta.url)); // dist/scripts/demo.js → project root
const stateDir = join(root, '.safe-deploy');
const demoDir = join(stateDir, 'demo');
const stateFile = join(demoDir, 'state.json');
const log = (line: string) => console.log(line);

/** What a run leaves running, so that the next run (or --stop) can stop it. */
interface DemoState {
  devServerPid?: number;
  workerPid?: number;
  pgDataDir?: string;
  pgBinDir?: string;
  production?: FarmChatProduction;
}

const { values: args } = parseArgs({
  options: {
    exit: { type: 'boolean', default: false },
    stop: { type: 'boolean', default: false },
    ref: { type: 'string', default: 'v2' },
    port: { type: 'string', default: '7233' },
    'ui-port': { type: 'string', default: '8233' },
  },
});
const exitAfter = args.exit || process.env.CI === 'true' || process.env.CI === '1';

async function stopLeftovers(all: boolean): Promise<void> {
  if (!existsSync(stateFile)) return;
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as DemoState;
  if (state.workerPid) await stopProcess(state.workerPid);
  if (state.production) await runAppctl(state.production, 'stop').catch(() => undefined);
  if (state.pgDataDir && existsSync(state.pgDataDir)) stopPgCluster(state.pgDataDir, state.pgBinDir);
  if (all && state.devServerPid) await stopProcess(state.devServerPid);
  writeFileSync(stateFile, JSON.stringify(all ? {} : { devServerPid: state.devServerPid }));
}

async function main(): Promise<number> {
  mkdirSync(demoDir, { recursive: true });
  if (args.stop) {
    await stopLeftovers(true);
    log('stopped everything the demo had left running');
    return 0;
  }
  await stopLeftovers(false); // a previous run's worker, app and database; its dev server may stay
  const state: DemoState = existsSync(stateFile) ? JSON.parse(readFileSync(stateFile, 'utf8')) : {};
  const save = () => writeFileSync(stateFile, JSON.stringify(state, null, 2));

  log('== set-up');
  const tools = ensureTools(root, log);
  log(`Temporal CLI: ${tools.temporal}`);
  log(`PostgreSQL:   ${tools.pgBinDir}`);

  const port = Number(args.port);
  const uiPort = Number(args['ui-port']);
  const address = `127.0.0.1:${port}`;
  if (await isListening(port)) {
    log(`Temporal dev server: reusing the one on ${address}`);
  } else {
    const server = await startDevServer({
      cli: tools.temporal,
      port,
      uiPort,
      dbFile: join(stateDir, 'temporal.db'),
      logFile: join(stateDir, 'temporal.log'),
    });
    state.devServerPid = server.pid;
    save();
    log(`Temporal dev server: ${address}, Web UI ${server.uiUrl} (history kept in .safe-deploy/temporal.db)`);
  }

  const cluster = await startPgCluster();
  Object.assign(state, { pgDataDir: cluster.dataDir, pgBinDir: cluster.binDir });
  save();
  const databaseUrl = await cluster.createAppDatabase('farm_chat', 'farm_chat', randomBytes(12).toString('base64url'));
  log(`PostgreSQL 15 cluster: 127.0.0.1:${cluster.port}, database farm_chat`);

  log('== farm-chat v1 in "production"');
  for (const dir of ['origin.git', 'production', 'backups'])
    rmSync(join(demoDir, dir), { recursive: true, force: true });
  const origin = await buildFarmChatOrigin(join(demoDir, 'origin.git'));
  log(`git repository with releases: ${Object.keys(origin.tags).join(', ')}`);
  const production = await createFarmChatProduction({
    origin,
    rootDir: join(demoDir, 'production'),
    databaseUrl,
    port: await freePort(),
  });
  state.production = production;
  save();
  const users = await cluster.query<{ n: string }>('SELECT count(*) AS n FROM users', [], 'farm_chat');
  log(`farm-chat v1 serving on ${production.baseUrl} with ${users.rows[0]!.n} users and their messages`);

  const configPath = join(demoDir, 'safe-deploy.config.json');
  writeFarmChatWorkerConfig(configPath, production, { backupDir: join(demoDir, 'backups'), pgBinDir: tools.pgBinDir });
  const workerLog = join(demoDir, 'worker.log');
  const out = openSync(workerLog, 'w');
  const worker = spawn(process.execPath, [join(root, 'dist', 'src', 'worker.js')], {
    env: { ...process.env, TEMPORAL_ADDRESS: address, SAFE_DEPLOY_CONFIG: configPath },
    stdio: ['ignore', out, out],
    detached: true,
  });
  closeSync(out);
  worker.unref();
  state.workerPid = worker.pid;
  save();
  await waitUntil(
    `the worker to start (log: ${workerLog})`,
    async () => readFileSync(workerLog, 'utf8').includes('safe-deploy worker:'),
    60_000,
  );
  log(`safe-deploy worker: task queue ${DEFAULT_TASK_QUEUE}, config ${configPath}`);

  log(`== deploying farm-chat production → ${args.ref}`);
  const connection = await Connection.connect({ address });
  let outcome: string;
  let workflowId: string;
  try {
    const client = new Client({ connection });
    const handle = await startDeployment(
      client,
      parseRequest({ app: 'farm-chat', environment: 'production', ref: args.ref!, reason: 'npm run demo' }),
      { taskQueue: DEFAULT_TASK_QUEUE },
    );
    workflowId = handle.workflowId;
    const report = await followDeployment(handle, log);
    log(renderReport(report));
    outcome = report.outcome;
  } finally {
    await connection.close();
  }

  if (exitAfter) {
    await stopLeftovers(true);
    log('stopped the worker, the app, PostgreSQL and the dev server');
  } else {
    log(`Web UI: http://127.0.0.1:${uiPort}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
    log(
      `still running: dev server, worker (log ${workerLog}), farm-chat on ${production.baseUrl}; stop them with: npm run demo -- --stop`,
    );
  }
  log(outcomeLine(workflowId, outcome));
  // v2 must deploy; a broken migration is caught by the rehearsal; other broken releases roll back.
  const ref = args.ref!;
  const expected = ref.includes('broken-migration')
    ? 'aborted'
    : /broken|missing|loss/.test(ref)
      ? 'rolled-back'
      : 'deployed';
  return outcome === expected ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`demo failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
