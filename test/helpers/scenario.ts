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
import { buildFarmChatOrigin, createFarmChatProduction, stopFarmChat, type FarmChatOrigin, type FarmChatProduction } from '../../scripts/lib/farmChat.js';
import { writeFarmChatWorkerConfig } from '../../scripts/lib/farmChatConfig.js';
import { freePort } from '../../scripts/lib/ports.js';
export { historyText } from '../../scripts/lib/secretScan.js';
import type { DeployRequestInput } from '../../src/config/schema.js';
import type { DeploymentReport } from '../../src/shared/report.js';
import { createWorker } from '../../src/worker.js';
import { runTemporal } from './temporalCli.js';
import { deploymentResult } from '../../src/cli/deploymentResult.js';

/**
 * One real farm-chat production for a test file: a database and role of its own in the shared
 * cluster (with a real-looking password), a clone at v1 with seeded data, running under appctl,
 * and a safe-deploy worker on a task queue of its own.
 */
export interface Scenario {
  root: string;
  origin: FarmChatOrigin;
  prod: FarmChatProduction;
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
  /** `{ app: 'farm-chat', environment, ref, ...extra }` */
  request(ref: string, extra?: Partial<DeployRequestInput>): DeployRequestInput;
  deploy(request: DeployRequestInput): Promise<{ handle: WorkflowHandle; report: DeploymentReport }>;
  start(request: DeployRequestInput): Promise<WorkflowHandle>;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[], database?: string): Promise<R[]>;
  head(): string;
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
  /** Production's database name (default farm_chat_<name>): multibyte, 63 bytes, quotes… */
  database?: string;
}

export async function createScenario(name: string, o: ScenarioOptions = {}): Promise<Scenario> {
  const root = mkdtempSync(join(tmpdir(), `safe-deploy-${name}-`));
  const database = o.database ?? `farm_chat_${name.replace(/\W/g, '_')}`;
  const role = `farm_${name.replace(/\W/g, '_')}`;
  const dbPassword = `pw-${randomBytes(9).toString('base64url')}`;
  await superuserQuery(`CREATE ROLE "${role}" LOGIN CREATEDB PASSWORD '${dbPassword}'`);
  await superuserQuery(`CREATE DATABASE "${database.replaceAll('"', '""')}" OWNER "${role}"`);
  const { host, port } = inject('pg');
  const urlOf = (db: string) => `postgresql://${role}:${encodeURIComponent(dbPassword)}@${host}:${port}/${encodeURIComponent(db)}`;
  const databaseUrl = urlOf(database);

  const origin = await buildFarmChatOrigin(join(root, 'origin.git'));
  const prod = await createFarmChatProduction({ origin, rootDir: join(root, 'production'), databaseUrl, port: await freePort(), omitEnv: o.omitEnv, layout: o.layout });
  const backupDir = join(root, 'backups');
  const configPath = join(root, 'safe-deploy.config.json');
  const environment = `prod-${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  writeFarmChatWorkerConfig(configPath, prod, { backupDir, pgBinDir: inject('pg').binDir, backupFormat: o.backupFormat, backup: o.backup, writes: o.writes, environment, overrides: o.overrides });

  const nativeConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  const client = new Client({ connection });
  const taskQueue = `safe-deploy-${name}-${randomUUID().slice(0, 8)}`;
  const worker: Worker = await createWorker({ connection: nativeConnection, taskQueue, configPath, workflowBundle: { codePath: inject('workflowBundlePath') } });
  const running = worker.run();

  const start = (request: DeployRequestInput) =>
    client.workflow.start('safeDeployment', { taskQueue, workflowId: `test-${name}-${randomUUID().slice(0, 8)}`, args: [request] });
  return {
    root, origin, prod, database, databaseUrl, dbPassword, configPath, backupDir, client, taskQueue, start, environment,
    request: (ref, extra = {}) => ({ app: 'farm-chat', environment, ref, ...extra }),
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
    async close() {
      worker.shutdown();
      await running.catch(() => undefined);
      await nativeConnection.close();
      await connection.close();
      await stopFarmChat(prod).catch(() => undefined);
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/**
 * What is in the backup folder: its files, and what is left in its scratch folder `work` (made,
 * private, by any step that needs scratch space; empty again when the step ends).
 */
export const backupFiles = (s: Scenario): string[] => {
  if (!existsSync(s.backupDir)) return [];
  const work = join(s.backupDir, 'work');
  const scratch = existsSync(work) ? readdirSync(work).map((f) => `work/${f}`) : [];
  return [...readdirSync(s.backupDir).filter((f) => f !== 'work'), ...scratch];
};

/** The activity types the workflow scheduled, in order, read from the real event history. */
export async function scheduledActivities(handle: WorkflowHandle): Promise<string[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((e) => (e.activityTaskScheduledEventAttributes?.activityType?.name ? [e.activityTaskScheduledEventAttributes.activityType.name] : []));
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
