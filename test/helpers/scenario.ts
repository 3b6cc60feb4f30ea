import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import pg from 'pg';
import { inject } from 'vitest';
import {
  buildFarmChatOrigin,
  createFarmChatProduction,
  stopFarmChat,
  type FarmChatProduction,
} from '../../scripts/lib/farmChat.js';
import { writeFarmChatWorkerConfig } from '../../scripts/lib/farmChatConfig.js';
import { freePort } from '../../scripts/lib/ports.js';
import {
  buildPrismaHerokuOrigin,
  createPrismaHerokuProduction,
  stopPrismaHeroku,
  type PrismaHerokuProduction,
} from '../../scripts/lib/prismaHeroku.js';
import { writePrismaHerokuWorkerConfig } from '../../scripts/lib/prismaHerokuConfig.js';
import type { SampleOrigin } from '../../scripts/lib/sampleApp.js';
export { historyText } from '../../scripts/lib/secretScan.js';
import type { DeployRequestInput } from '../../src/config/schema.js';
import type { DeploymentReport } from '../../src/shared/report.js';
import { createWorker } from '../../src/worker.js';
import { runTemporal } from './temporalCli.js';
import { deploymentResult } from '../../src/cli/deploymentResult.js';

/** What a scenario needs of a production copy, whichever sample app it runs. */
interface SampleProduction {
  appDir: string;
  baseUrl: string;
  databaseUrl: string;
  envFile: string;
}

/**
 * A sample app under examples/ as scenarios use it: how its origin is built, a production copy
 * installed, the worker config written and the app stopped, and the names its databases and
 * roles get (each app its own, so no test can pass because of another app's names).
 */
export interface SampleApp<P extends SampleProduction> {
  /** The app's name in the worker config and in requests. */
  name: string;
  /** Production's database is `<databasePrefix>_<scenario>` unless a test names it. */
  databasePrefix: string;
  /** The app's database role is `<rolePrefix>_<scenario>`. */
  rolePrefix: string;
  buildOrigin(dir: string): Promise<SampleOrigin>;
  createProduction(o: {
    origin: SampleOrigin;
    rootDir: string;
    databaseUrl: string;
    port: number;
    omitEnv?: string[];
    layout?: 'in-place' | 'releases';
  }): Promise<P>;
  writeWorkerConfig(path: string, prod: P, o: SampleConfigOptions): void;
  stop(prod: P): Promise<void>;
}

export interface SampleConfigOptions {
  backupDir: string;
  pgBinDir: string;
  environment: string;
  backupFormat?: 'custom' | 'directory';
  backup?: Record<string, unknown>;
  writes?: 'stop' | 'detect';
  overrides?: Record<string, unknown>;
}

/** examples/farm-chat: ours, every failure point, maintenance mode. */
export const FARM_CHAT_APP: SampleApp<FarmChatProduction> = {
  name: 'farm-chat',
  databasePrefix: 'farm_chat',
  rolePrefix: 'farm',
  buildOrigin: buildFarmChatOrigin,
  createProduction: createFarmChatProduction,
  writeWorkerConfig: writeFarmChatWorkerConfig,
  stop: stopFarmChat,
};

/** examples/prisma-heroku: prisma-examples' Express app, not ours; no maintenance mode (writes `detect`), in place only. */
export const PRISMA_HEROKU_APP: SampleApp<PrismaHerokuProduction> = {
  name: 'prisma-heroku',
  databasePrefix: 'heroku_blog',
  rolePrefix: 'blogger',
  buildOrigin: buildPrismaHerokuOrigin,
  async createProduction({ origin, rootDir, databaseUrl, port, omitEnv, layout }) {
    if (omitEnv?.length || (layout && layout !== 'in-place'))
      throw new Error('prisma-heroku scenarios: in-place layout only, with its whole env file');
    return createPrismaHerokuProduction({ origin, rootDir, databaseUrl, port });
  },
  writeWorkerConfig(path, prod, o) {
    if (o.writes === 'stop' || o.backupFormat || o.backup)
      throw new Error(
        'prisma-heroku scenarios: writes policy detect (it has no maintenance mode), backup settings through overrides',
      );
    writePrismaHerokuWorkerConfig(path, prod, {
      backupDir: o.backupDir,
      pgBinDir: o.pgBinDir,
      environment: o.environment,
      overrides: o.overrides,
    });
  },
  stop: stopPrismaHeroku,
};

/**
 * One real production of a sample app for a test file: a database and role of its own in the
 * shared cluster (with a real-looking password), a clone at v1 with seeded data, running, and a
 * safe-deploy worker on a task queue of its own.
 */
export interface Scenario<P extends SampleProduction = FarmChatProduction> {
  root: string;
  origin: SampleOrigin;
  prod: P;
  database: string;
  /** The app role's URL (a second host's app uses it too). */
  databaseUrl: string;
  /** The app role's password: must never appear in history or logs. */
  dbPassword: string;
  configPath: string;
  backupDir: string;
  client: Client;
  taskQueue: string;
  /** The environment this scenario's config defines: its own, so that deployment locks of parallel test files never meet. */
  environment: string;
  /** `{ app: <the app's name>, environment, ref, ...extra }` */
  request(ref: string, extra?: Partial<DeployRequestInput>): DeployRequestInput;
  deploy(request: DeployRequestInput): Promise<{ handle: WorkflowHandle; report: DeploymentReport }>;
  start(request: DeployRequestInput): Promise<WorkflowHandle>;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    params?: unknown[],
    database?: string,
  ): Promise<R[]>;
  head(): string;
  /** Shuts the worker down and starts a new one on the same task queue (what survives lives in Temporal). */
  restartWorker(): Promise<void>;
  close(): Promise<void>;
}

async function superuserQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: inject('pg').superuserUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export interface ScenarioOptions {
  omitEnv?: string[];
  backupFormat?: 'custom' | 'directory';
  /** Backup settings over the format's, e.g. `{ method: 'snapshot' }`. */
  backup?: Record<string, unknown>;
  writes?: 'stop' | 'detect';
  overrides?: Record<string, unknown>;
  layout?: 'in-place' | 'releases';
  /** Production's database name (default <app's databasePrefix>_<name>): multibyte, 63 bytes, quotes… */
  database?: string;
  /** The worker config's file name in the scenario's folder (default safe-deploy.config.json; .yaml is read as YAML). */
  configFile?: string;
  /** The app's role (default <app's rolePrefix>_<name>): quotes, multibyte… */
  role?: string;
}

/** A farm-chat scenario (most tests); `createAppScenario` for another sample app. */
export function createScenario(name: string, o: ScenarioOptions = {}): Promise<Scenario> {
  return createAppScenario(FARM_CHAT_APP, name, o);
}

export async function createAppScenario<P extends SampleProduction>(
  app: SampleApp<P>,
  name: string,
  o: ScenarioOptions = {},
): Promise<Scenario<P>> {
  const root = mkdtempSync(join(tmpdir(), `safe-deploy-${name}-`));
  const database = o.database ?? `${app.databasePrefix}_${name.replace(/\W/g, '_')}`;
  const role = o.role ?? `${app.rolePrefix}_${name.replace(/\W/g, '_')}`;
  const dbPassword = `pw-${randomBytes(9).toString('base64url')}`;
  const quotedRole = `"${role.replaceAll('"', '""')}"`;
  await superuserQuery(`CREATE ROLE ${quotedRole} LOGIN CREATEDB PASSWORD '${dbPassword}'`);
  await superuserQuery(`CREATE DATABASE "${database.replaceAll('"', '""')}" OWNER ${quotedRole}`);
  const { host, port } = inject('pg');
  const urlOf = (db: string) =>
    `postgresql://${encodeURIComponent(role)}:${encodeURIComponent(dbPassword)}@${host}:${port}/${encodeURIComponent(db)}`;
  const databaseUrl = urlOf(database);

  const origin = await app.buildOrigin(join(root, 'origin.git'));
  const prod = await app.createProduction({
    origin,
    rootDir: join(root, 'production'),
    databaseUrl,
    port: await freePort(),
    omitEnv: o.omitEnv,
    layout: o.layout,
  });
  const backupDir = join(root, 'backups');
  const configPath = join(root, o.configFile ?? 'safe-deploy.config.json');
  const environment = `prod-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  app.writeWorkerConfig(configPath, prod, {
    backupDir,
    pgBinDir: inject('pg').binDir,
    backupFormat: o.backupFormat,
    backup: o.backup,
    writes: o.writes,
    environment,
    overrides: o.overrides,
  });

  const nativeConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  const client = new Client({ connection });
  const taskQueue = `safe-deploy-${name}-${randomUUID().slice(0, 8)}`;
  const newWorker = (): Promise<Worker> =>
    createWorker({
      connection: nativeConnection,
      taskQueue,
      configPath,
      workflowBundle: { codePath: inject('workflowBundlePath') },
    });
  let worker = await newWorker();
  let running = worker.run();

  const start = (request: DeployRequestInput) =>
    client.workflow.start('safeDeployment', {
      taskQueue,
      workflowId: `test-${name}-${randomUUID().slice(0, 8)}`,
      args: [request],
    });
  return {
    root,
    origin,
    prod,
    database,
    databaseUrl,
    dbPassword,
    configPath,
    backupDir,
    client,
    taskQueue,
    start,
    environment,
    request: (ref, extra = {}) => ({ app: app.name, environment, ref, ...extra }),
    async deploy(request) {
      const handle = await start(request);
      return { handle, report: await deploymentResult(handle) };
    },
    async query(sql, params = [], db = database) {
      const c = new pg.Client({ connectionString: urlOf(db) });
      await c.connect();
      try {
        return (await c.query(sql, params)).rows;
      } finally {
        await c.end();
      }
    },
    head: () => execFileSync('git', ['-C', prod.appDir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim(),
    async restartWorker() {
      worker.shutdown();
      await running;
      worker = await newWorker();
      running = worker.run();
    },
    async close() {
      worker.shutdown();
      await running.catch(() => undefined);
      await nativeConnection.close();
      await connection.close();
      await app.stop(prod).catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * What is in the backup folder: its files, and what is left in its scratch folder `work` (made,
 * private, by any step that needs scratch space; empty again when the step ends).
 */
export const backupFiles = (s: Scenario<SampleProduction>): string[] => {
  if (!existsSync(s.backupDir)) return [];
  const work = join(s.backupDir, 'work');
  const scratch = existsSync(work) ? readdirSync(work).map((f) => `work/${f}`) : [];
  return [...readdirSync(s.backupDir).filter((f) => f !== 'work'), ...scratch];
};

/** The activity types the workflow scheduled, in order, read from the real event history. */
export async function scheduledActivities(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((e) =>
    e.activityTaskScheduledEventAttributes?.activityType?.name
      ? [e.activityTaskScheduledEventAttributes.activityType.name]
      : [],
  );
}

/** Plain data with every byte field decoded as UTF-8 (protobuf's toJSON would base64 them). */
/**
 * With SAFE_DEPLOY_RECORD_HISTORIES=1, saves the deployment's full history as
 * test/histories/<name>.json (the format `temporal workflow show --output json` writes), for the
 * replay test: a workflow change that breaks determinism then fails CI.
 */
export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (!process.env.SAFE_DEPLOY_RECORD_HISTORIES) return;
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'histories');
  mkdirSync(dir, { recursive: true });
  // The Temporal CLI writes the same JSON the docs' replay examples read (historyFromJSON).
  const run = await runTemporal(['workflow', 'show', '--workflow-id', handle.workflowId, '--output', 'json']);
  if (run.code !== 0) throw new Error(`temporal workflow show failed: ${run.stderr}`);
  writeFileSync(join(dir, `${name}.json`), run.stdout);
}
