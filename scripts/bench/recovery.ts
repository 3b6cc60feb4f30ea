/**
 * Recovery, method by method, on one database: how long the backup takes before a deployment,
 * and how long it takes to get the database back after a failed one.
 *   runbook:  pg_dump (plain SQL), then psql into a fresh database
 *   dump:     safe-deploy's backupDatabase/restoreDatabase, method dump (pg_dump -Fd -j, pg_restore -j, proven, renamed in)
 *   snapshot: safe-deploy's backupDatabase/restoreDatabase, method snapshot (template copy, sealed, renamed in)
 * The activities run in this process, outside Temporal: the same code the worker runs.
 */
import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { createDatabaseActivities } from '../../src/activities/database.js';
import type { RestoreFacts } from '../../src/shared/backupFacts.js';
import { environmentConfigSchema, type TargetConfig } from '../../src/config/schema.js';
import { run } from '../../src/exec/run.js';
import type { PgCluster } from '../lib/pgCluster.js';

export type RecoveryMethod = 'runbook' | 'dump' | 'snapshot';

export interface RecoveryRow {
  sizeMb: number;
  databaseBytes: number;
  method: RecoveryMethod;
  /** Before the deployment (writes paused meanwhile). */
  backupMs: number;
  /** After the failure: until the database is the backup again. */
  recoveryMs: number;
  dumpBytes?: number;
  /** Snapshot: how long the app was shut out of its database while copying, and during the swap. */
  backupClosedMs?: number;
  recoveryClosedMs?: number;
  verification?: RestoreFacts['verification'];
  /** Where the time went, as the activities measured it. */
  backupPhasesMs?: Record<string, number>;
  recoveryPhasesMs?: Record<string, number>;
}

export interface StrategyRow {
  sizeMb: number;
  strategy: 'WAL_LOG' | 'FILE_COPY';
  copyMs: number;
  walBytes: number;
}

/** The bench's database role: owner of the databases, CREATEDB, not a superuser, as in production. */
export interface BenchDb {
  cluster: PgCluster;
  role: string;
  password: string;
  url(database: string): string;
  /** Runs SQL as the bench role. */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, database?: string): Promise<R[]>;
}

/**
 * The bench role in `cluster`, with pg_checkpoint as docs/configuration.md advises for
 * backup.method snapshot (stop-writes checkpoints before the pause): bench and benchOne alike.
 */
export async function createBenchDb(cluster: PgCluster): Promise<BenchDb> {
  const role = 'bench_app';
  const password = `bench-${Date.now().toString(36)}`;
  await cluster.query(`CREATE ROLE ${role} LOGIN CREATEDB PASSWORD '${password}'`);
  await cluster.query(`GRANT pg_checkpoint TO ${role}`);
  return {
    cluster,
    role,
    password,
    url: (database) => cluster.url(database, role, password),
    async query(sql, database = 'postgres') {
      const c = new pg.Client({ connectionString: cluster.url(database, role, password) });
      await c.connect();
      try {
        return (await c.query(sql)).rows;
      } finally {
        await c.end();
      }
    },
  };
}

const ms = (since: number) => Date.now() - since;

/** The first statements of farm-chat v2's migration: what a half-applied migration leaves behind. */
const HALF_APPLIED = `ALTER TABLE "users" ADD COLUMN "satshotConnected" BOOLEAN NOT NULL DEFAULT false;
  CREATE TABLE "satshot_tokens" ("id" SERIAL NOT NULL, "userId" INTEGER NOT NULL, "token" TEXT NOT NULL, CONSTRAINT "satshot_tokens_pkey" PRIMARY KEY ("id"));
  INSERT INTO "satshot_tokens" ("userId", "token") VALUES (1, 'half-applied')`;

function targetFor(
  db: BenchDb,
  database: string,
  dir: string,
  backup: Record<string, unknown>,
): { target: TargetConfig; env: Record<string, string> } {
  const env = environmentConfigSchema.parse({
    appDir: dir,
    database: { urlEnv: 'BENCH_DATABASE_URL' },
    backup: { dir, format: 'directory', jobs: 2, ...backup },
    commands: { restart: ['true'] },
    writes: { policy: 'detect' },
    baseUrl: 'http://127.0.0.1:9',
  });
  return {
    target: { ...env, app: 'bench', environment: database.replaceAll('_', '-'), pgBinDir: db.cluster.binDir },
    env: { BENCH_DATABASE_URL: db.url(database) },
  };
}

const pgEnv = (db: BenchDb, database: string) => ({
  PGHOST: db.cluster.host,
  PGPORT: String(db.cluster.port),
  PGUSER: db.role,
  PGPASSWORD: db.password,
  PGDATABASE: database,
});

async function dropAside(db: BenchDb, database: string): Promise<void> {
  const rows = await db.cluster.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [
    `${database}\\_sd\\_%`,
  ]);
  for (const { datname } of rows.rows) await db.cluster.query(`DROP DATABASE "${datname}" WITH (FORCE)`);
}

async function runbook(
  db: BenchDb,
  database: string,
  dir: string,
  sizeMb: number,
  databaseBytes: number,
): Promise<RecoveryRow> {
  const file = join(dir, `${database}.sql`);
  const bin = (tool: string) => join(db.cluster.binDir, tool);
  let t = Date.now();
  await run({
    file: bin('pg_dump'),
    args: [`--file=${file}`, '--no-password'],
    env: pgEnv(db, database),
    secrets: [db.password],
  });
  const backupMs = ms(t);
  const dumpBytes = statSync(file).size;
  const fresh = `${database}_runbook`;
  t = Date.now();
  await db.query(`CREATE DATABASE "${fresh}"`, 'postgres');
  await run({
    file: bin('psql'),
    args: ['-X', '-q', '-v', 'ON_ERROR_STOP=1', `--file=${file}`],
    env: pgEnv(db, fresh),
    secrets: [db.password],
  });
  const recoveryMs = ms(t);
  await db.cluster.query(`DROP DATABASE "${fresh}" WITH (FORCE)`);
  rmSync(file, { force: true });
  return { sizeMb, databaseBytes, method: 'runbook', backupMs, recoveryMs, dumpBytes };
}

async function withActivities(
  db: BenchDb,
  database: string,
  dir: string,
  sizeMb: number,
  databaseBytes: number,
  method: 'dump' | 'snapshot',
): Promise<RecoveryRow> {
  const { target, env } = targetFor(db, database, join(dir, method), { method });
  const activities = createDatabaseActivities({ configPath: '/nonexistent', env });
  const deploymentId = `bench-${method}-${sizeMb}`;
  const backup = await activities.backupDatabase({ deploymentId, target });
  await db.query(HALF_APPLIED, database);
  const restored = await activities.restoreDatabase({ deploymentId, target, backup });
  if (!restored.restored || restored.source !== method)
    throw new Error(`${method} restore did not restore from the ${method}: ${JSON.stringify(restored)}`);
  await dropAside(db, database);
  rmSync(join(dir, method), { recursive: true, force: true });
  return {
    sizeMb,
    databaseBytes,
    method,
    backupMs: backup.durationMs,
    recoveryMs: restored.durationMs,
    dumpBytes: backup.dump?.sizeBytes,
    backupClosedMs: backup.snapshot?.closedMs,
    recoveryClosedMs: restored.closedMs,
    verification: restored.verification,
    backupPhasesMs: backup.phasesMs,
    recoveryPhasesMs: restored.phasesMs,
  };
}

/** Both CREATE DATABASE strategies on `database`, with the WAL each writes. */
export async function measureStrategies(db: BenchDb, database: string, sizeMb: number): Promise<StrategyRow[]> {
  const rows: StrategyRow[] = [];
  for (const strategy of ['WAL_LOG', 'FILE_COPY'] as const) {
    await db.cluster.query('CHECKPOINT');
    const lsn = (await db.cluster.query<{ l: string }>('SELECT pg_current_wal_lsn()::text AS l')).rows[0]!.l;
    const t = Date.now();
    await db.query(`CREATE DATABASE "${database}_strategy" TEMPLATE "${database}" STRATEGY ${strategy}`, 'postgres');
    const copyMs = ms(t);
    const wal = (
      await db.cluster.query<{ w: string }>('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::text AS w', [lsn])
    ).rows[0]!.w;
    rows.push({ sizeMb, strategy, copyMs, walBytes: Number(wal) });
    await db.cluster.query(`DROP DATABASE "${database}_strategy"`);
  }
  return rows;
}

/** The three methods on `database` (a farm-chat database of about `sizeMb`), each leaving it as it found it. */
export async function measureRecovery(
  db: BenchDb,
  database: string,
  dir: string,
  sizeMb: number,
  log: (line: string) => void,
): Promise<RecoveryRow[]> {
  const databaseBytes = Number(
    (await db.cluster.query<{ s: string }>('SELECT pg_database_size($1::name)::text AS s', [database])).rows[0]!.s,
  );
  await db.cluster.query('CHECKPOINT');
  const rows: RecoveryRow[] = [];
  for (const method of ['runbook', 'dump', 'snapshot'] as const) {
    const row =
      method === 'runbook'
        ? await runbook(db, database, dir, sizeMb, databaseBytes)
        : await withActivities(db, database, dir, sizeMb, databaseBytes, method);
    log(
      `  ${method.padEnd(8)} backup ${(row.backupMs / 1000).toFixed(1)} s, recovery ${(row.recoveryMs / 1000).toFixed(2)} s`,
    );
    rows.push(row);
    await db.cluster.query('CHECKPOINT');
  }
  return rows;
}
