import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { parse as parseConnectionString } from 'pg-connection-string';
import { SEARCH_ATTRIBUTES, stopProcess } from './devServer.js';
import { startPgCluster, stopPgCluster } from './pgCluster.js';
import { freePortBetween, waitUntil } from './ports.js';
import type { TemporalServerTools } from './temporalServer.js';

const run = promisify(execFile);

/** Temporal's two databases, as compose/temporal-db-init.sql and the server's defaults name them. */
export const TEMPORAL_DATABASES = ['temporal', 'temporal_visibility'] as const;
const PORT_NAMES = [
  'FRONTEND_GRPC_PORT',
  'FRONTEND_HTTP_PORT',
  'FRONTEND_MEMBERSHIP_PORT',
  'HISTORY_GRPC_PORT',
  'HISTORY_MEMBERSHIP_PORT',
  'MATCHING_GRPC_PORT',
  'MATCHING_MEMBERSHIP_PORT',
  'WORKER_GRPC_PORT',
  'WORKER_MEMBERSHIP_PORT',
] as const;
/** The compose/ scripts the cluster runs, as compose's one-shot services do: one list of schema steps, one namespace set-up. */
export const COMPOSE_SCRIPTS = { schema: 'temporal-schema.sh', setup: 'temporal-setup.sh' } as const;
export type ServerPorts = Record<(typeof PORT_NAMES)[number], number>;

/** Where Temporal's databases live; the password is never here (it stays in the 0600 file beside state.json). */
export interface ClusterDatabase {
  host: string;
  port: number;
  user: string;
  /** A throwaway cluster `npm run cluster` started (stopped with it); absent for one named by --database-url-env. */
  pgDataDir?: string;
  pgBinDir?: string;
}

/** `<stateDir>/state.json`: what runs, and everything needed to start the same server again. No secret. */
export interface ClusterState {
  version: string;
  address: string;
  serverPid?: number;
  /** The server's whole environment but POSTGRES_PWD, which comes from `passwordFile` at start (as compose's secret). */
  serverEnv: Record<string, string>;
  passwordFile: string;
  logFile: string;
  database: ClusterDatabase;
}

export interface Cluster {
  address: string;
  namespace: string;
  stateDir: string;
  state: ClusterState;
  /** True when a server this state folder describes was already running. */
  reused: boolean;
}

export interface ClusterOptions {
  projectRoot: string;
  /** Private (0700): state.json, the database password file, the server log. */
  stateDir: string;
  tools: TemporalServerTools;
  /** The `temporal` CLI: health checks, and compose/temporal-setup.sh runs it. */
  temporalCli: string;
  /** Name of an env var holding a postgres:// URL whose user may create databases: used instead of a throwaway cluster. */
  databaseUrlEnv?: string;
  log?: (line: string) => void;
}

/**
 * The environment the server starts with: the variables docker-compose.yml gives its `temporal`
 * service (the image's embedded config template reads them), plus free ports and 127.0.0.1 instead
 * of the container's network. Plain data, so a test can hold it against the compose file.
 */
export function serverEnvironment(o: {
  projectRoot: string;
  database: ClusterDatabase;
  ports: ServerPorts;
}): Record<string, string> {
  return {
    DB: 'postgres12',
    POSTGRES_SEEDS: o.database.host,
    DB_PORT: String(o.database.port),
    POSTGRES_USER: o.database.user,
    BIND_ON_IP: '127.0.0.1',
    TEMPORAL_BROADCAST_ADDRESS: '127.0.0.1',
    // The file compose mounts as the server's dynamic config: the same limits.
    DYNAMIC_CONFIG_FILE_PATH: join(o.projectRoot, 'compose', 'dynamicconfig.yaml'),
    LOG_LEVEL: 'warn',
    ...Object.fromEntries(Object.entries(o.ports).map(([k, v]) => [k, String(v)])),
  };
}

export function readClusterState(stateDir: string): ClusterState | undefined {
  const file = join(stateDir, 'state.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ClusterState) : undefined;
}

const saveState = (stateDir: string, state: ClusterState) =>
  writeFileSync(join(stateDir, 'state.json'), JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });

/** The pid runs a temporal-server (not a process that got the number later). */
function isServer(pid: number | undefined): pid is number {
  if (!pid) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0]!.endsWith('temporal-server');
  } catch {
    return false;
  }
}

/** `temporal operator cluster health` says SERVING. */
export async function isServing(temporalCli: string, address: string): Promise<boolean> {
  try {
    const { stdout } = await run(temporalCli, ['operator', 'cluster', 'health', '--address', address], {
      timeout: 10_000,
      env: { ...process.env, NO_COLOR: '1' },
    });
    return stdout.includes('SERVING') && !stdout.includes('NOT_SERVING');
  } catch {
    return false;
  }
}

/** The server log's last lines, each JSON line shortened to its level, message and error (no stack traces). */
function logTail(file: string): string {
  if (!existsSync(file)) return '(no log)';
  const short = (line: string) => {
    try {
      const l = JSON.parse(line) as { level?: string; msg?: string; error?: string };
      return [l.level, l.msg, l.error].filter(Boolean).join(': ');
    } catch {
      return line;
    }
  };
  return readFileSync(file, 'utf8').trim().split('\n').slice(-4).map(short).join('\n');
}

/** Runs one of compose/'s scripts with `sh`, argv and env only; its output goes to the log. */
async function runComposeScript(o: ClusterOptions, script: string, env: Record<string, string>): Promise<void> {
  const path = join(o.projectRoot, 'compose', script);
  try {
    const { stdout } = await run('sh', [path], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/', ...env },
      timeout: 300_000,
    });
    for (const line of stdout.trim().split('\n')) if (line.startsWith(script.replace(/\.sh$/, ''))) o.log?.(line);
  } catch (err) {
    const e = err as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `compose/${script} failed: ${[e.stderr, e.stdout].filter(Boolean).join('\n').trim().split('\n').slice(-6).join('\n') || e.message}`,
    );
  }
}

/** Temporal's databases and their owner: a throwaway PostgreSQL cluster, or the server a URL names. */
async function prepareDatabase(o: ClusterOptions, passwordFile: string): Promise<ClusterDatabase> {
  const quote = (s: string) => "'" + s.replaceAll("'", "''") + "'";
  if (o.databaseUrlEnv) {
    const url = process.env[o.databaseUrlEnv];
    if (!url)
      throw new Error(`${o.databaseUrlEnv} is not set: it must hold a postgres:// URL whose user may create databases`);
    const c = parseConnectionString(url);
    if (!c.host || !c.user || !c.password)
      throw new Error(`the URL in ${o.databaseUrlEnv} needs a host, a user and a password`);
    writeFileSync(passwordFile, c.password, { mode: 0o600 });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      for (const db of TEMPORAL_DATABASES) {
        const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
        if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${db}"`);
      }
    } finally {
      await client.end();
    }
    o.log?.(
      `PostgreSQL from ${o.databaseUrlEnv}: ${c.host}:${c.port ?? 5432}, user ${c.user}, databases ${TEMPORAL_DATABASES.join(', ')}`,
    );
    return { host: c.host, port: Number(c.port ?? 5432), user: c.user };
  }
  const cluster = await startPgCluster();
  const password = randomBytes(18).toString('base64url');
  writeFileSync(passwordFile, password, { mode: 0o600 });
  // As in compose: one role `temporal` owns both databases (PostgreSQL 15 lets only the owner create in `public`).
  await cluster.query(`CREATE ROLE temporal LOGIN PASSWORD ${quote(password)}`);
  for (const db of TEMPORAL_DATABASES) await cluster.query(`CREATE DATABASE "${db}" OWNER temporal`);
  o.log?.(
    `PostgreSQL: a throwaway cluster on ${cluster.host}:${cluster.port} (${cluster.dataDir}), databases ${TEMPORAL_DATABASES.join(', ')}`,
  );
  return {
    host: cluster.host,
    port: cluster.port,
    user: 'temporal',
    pgDataDir: cluster.dataDir,
    pgBinDir: cluster.binDir,
  };
}

/** Below the ephemeral range: the membership ports go into cluster_membership.rpc_port, a SMALLINT (≤ 32767). */
async function freePorts(): Promise<ServerPorts> {
  const taken = new Set<number>();
  while (taken.size < PORT_NAMES.length) taken.add(await freePortBetween(10_000, 32_767));
  const ports = [...taken];
  return Object.fromEntries(PORT_NAMES.map((name, i) => [name, ports[i]!])) as ServerPorts;
}

/**
 * Starts the server a state folder describes (`temporal-server start`, detached, log in the
 * folder) and waits until `temporal operator cluster health` says SERVING. Also what starts it
 * again after it was killed: same ports, same databases.
 */
export async function startServer(
  stateDir: string,
  tools: TemporalServerTools,
  temporalCli: string,
  timeoutMs = 120_000,
): Promise<number> {
  const state = readClusterState(stateDir);
  if (!state) throw new Error(`no cluster state in ${stateDir}`);
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/',
    ...state.serverEnv,
    POSTGRES_PWD: readFileSync(state.passwordFile, 'utf8').trim(),
  };
  const out = openSync(state.logFile, 'a');
  const child = spawn(tools.server, ['start'], { cwd: stateDir, env, detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.unref();
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  state.serverPid = child.pid;
  saveState(stateDir, state);
  await waitUntil(
    `the Temporal server on ${state.address} to be SERVING (log: ${state.logFile})`,
    async () => {
      if (exited !== undefined) throw new Error(`temporal-server exited with ${exited}:\n${logTail(state.logFile)}`);
      return isServing(temporalCli, state.address);
    },
    timeoutMs,
    500,
  ).catch((err: Error) => {
    throw new Error(
      exited !== undefined
        ? `temporal-server exited with ${exited}; its log ends:\n${logTail(state.logFile)}`
        : err.message,
    );
  });
  return child.pid!;
}

/**
 * SIGKILLs the server a state folder describes (a crash: no shutdown, nothing flushed beyond what
 * PostgreSQL has committed) and waits until it is gone. `startServer(stateDir, …)` starts it again
 * on the same ports and databases. Returns the pid it killed.
 */
export async function killServer(stateDir: string): Promise<number> {
  const pid = readClusterState(stateDir)?.serverPid;
  if (!isServer(pid)) throw new Error(`no Temporal server runs from ${stateDir}`);
  process.kill(pid, 'SIGKILL');
  await waitUntil(`temporal-server ${pid} to die`, async () => !isServer(pid), 10_000, 50);
  return pid;
}

/**
 * A Temporal server of the pinned version on PostgreSQL, as docker-compose.yml runs it: databases
 * created, compose/temporal-schema.sh applied, the server started with compose's environment,
 * compose/temporal-setup.sh registering the `default` namespace and safe-deploy's search
 * attributes. Reuses the one the state folder describes while it runs.
 */
export async function startCluster(o: ClusterOptions): Promise<Cluster> {
  const log = o.log ?? (() => {});
  const namespace = 'default';
  const previous = readClusterState(o.stateDir);
  if (previous && isServer(previous.serverPid)) {
    await waitUntil(
      `the running Temporal server on ${previous.address}`,
      () => isServing(o.temporalCli, previous.address),
      60_000,
      500,
    );
    return { address: previous.address, namespace, stateDir: o.stateDir, state: previous, reused: true };
  }
  if (previous) {
    log(`the cluster in ${o.stateDir} is not running any more: starting a new one`);
    await stopCluster(o.stateDir);
  }
  mkdirSync(o.stateDir, { recursive: true });
  chmodSync(o.stateDir, 0o700);
  const passwordFile = join(o.stateDir, 'temporal-db.pw');
  const database = await prepareDatabase(o, passwordFile);
  const ports = await freePorts();
  const state: ClusterState = {
    version: o.tools.version,
    address: `127.0.0.1:${ports.FRONTEND_GRPC_PORT}`,
    serverEnv: serverEnvironment({ projectRoot: o.projectRoot, database, ports }),
    passwordFile,
    logFile: join(o.stateDir, 'server.log'),
    database,
  };
  saveState(o.stateDir, state); // from here on, --stop finds what to stop

  await runComposeScript(o, COMPOSE_SCRIPTS.schema, {
    POSTGRES_SEEDS: database.host,
    DB_PORT: String(database.port),
    POSTGRES_USER: database.user,
    POSTGRES_PWD_FILE: passwordFile,
    TEMPORAL_SQL_TOOL: o.tools.sqlTool,
    TEMPORAL_SCHEMA_DIR: o.tools.schemaDir,
  });
  const started = Date.now();
  await startServer(o.stateDir, o.tools, o.temporalCli);
  log(
    `Temporal server v${o.tools.version}: SERVING on ${state.address} after ${((Date.now() - started) / 1000).toFixed(1)} s (log: ${state.logFile})`,
  );
  await runComposeScript(o, COMPOSE_SCRIPTS.setup, {
    PATH: `${dirname(o.temporalCli)}:${process.env.PATH ?? ''}`,
    TEMPORAL_ADDRESS: state.address,
    TEMPORAL_NAMESPACE: namespace,
    SEARCH_ATTRIBUTES: SEARCH_ATTRIBUTES.join(' '),
    SETUP_PAUSE_SECONDS: '1',
  });
  return {
    address: state.address,
    namespace,
    stateDir: o.stateDir,
    state: readClusterState(o.stateDir)!,
    reused: false,
  };
}

/**
 * Stops the server and the throwaway PostgreSQL cluster a state folder describes (a database named
 * by --database-url-env is left as it is), and removes the folder. Returns what it stopped, if anything.
 */
export async function stopCluster(stateDir: string): Promise<ClusterState | undefined> {
  const state = readClusterState(stateDir);
  if (!state) return undefined;
  if (isServer(state.serverPid)) await stopProcess(state.serverPid);
  if (state.database.pgDataDir && existsSync(state.database.pgDataDir))
    stopPgCluster(state.database.pgDataDir, state.database.pgBinDir);
  rmSync(stateDir, { recursive: true, force: true });
  return state;
}
