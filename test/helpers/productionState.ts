import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { expect, inject } from 'vitest';
import { FARM_CHAT_FAKE_ENV } from '../../scripts/lib/farmChat.js';
import type { DeploymentReport } from '../../src/shared/report.js';
import { leakedSecrets } from '../../scripts/lib/secretScan.js';
import { historyText, type Scenario } from './scenario.js';
import { workerLogText } from './workerLog.js';

/**
 * Everything a deployment may change in a farm-chat production, read independently of
 * safe-deploy's own code: the database (normalised `pg_dump --schema-only`, `_prisma_migrations`,
 * rows and a content checksum per table, users and messages row by row), the working copy, the
 * installed packages and the running app. A rollback must bring every part of it back.
 */
export interface ProductionState {
  schema: string;
  migrations: unknown[];
  /** Every table: row count and md5 over its rows (sorted), like a logical dump. */
  tables: Record<string, { rows: number; checksum: string }>;
  users: Record<string, unknown>[];
  messages: Record<string, unknown>[];
  head: string;
  status: string;
  /** Top-level packages in node_modules with their installed versions. */
  packages: Record<string, string>;
  backups: string[];
}

const env = (s: Scenario) => {
  const u = new URL(s.prod.databaseUrl);
  return {
    PGHOST: u.hostname,
    PGPORT: u.port,
    PGUSER: decodeURIComponent(u.username),
    PGPASSWORD: decodeURIComponent(u.password),
    PGDATABASE: s.database,
  };
};

/** pg_dump --schema-only without what differs between two dumps of one schema (comments, the random \restrict key). */
export function schemaDump(s: Scenario, database = s.database): string {
  const text = execFileSync(join(inject('pg').binDir, 'pg_dump'), ['--schema-only', '--no-password'], {
    env: { ...env(s), PGDATABASE: database },
    encoding: 'utf8',
  });
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('--') && !/^\\(un)?restrict /.test(l))
    .join('\n');
}

/** Top-level packages of node_modules (scoped included) and their versions. */
export function installedPackages(appDir: string): Record<string, string> {
  const root = join(appDir, 'node_modules');
  const out: Record<string, string> = {};
  if (!existsSync(root)) return out;
  const add = (name: string) => {
    const pkg = join(root, name, 'package.json');
    out[name] = existsSync(pkg)
      ? (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version
      : '(no package.json)';
  };
  for (const e of readdirSync(root, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    if (e.name.startsWith('@')) for (const inner of readdirSync(join(root, e.name))) add(`${e.name}/${inner}`);
    else add(e.name);
  }
  return out;
}

/** The top-level packages a release's lockfile installs (`git show <tag>:package-lock.json`), with versions. */
export function lockfilePackages(s: Scenario, tag: string): Record<string, string> {
  const lock = JSON.parse(
    execFileSync('git', ['-C', s.prod.appDir, 'show', `${tag}:package-lock.json`], { encoding: 'utf8' }),
  ) as { packages: Record<string, { version: string; dev?: boolean }> };
  const out: Record<string, string> = {};
  for (const [key, entry] of Object.entries(lock.packages)) {
    const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)$/.exec(key);
    if (m && !entry.dev) out[m[1]!] = entry.version;
  }
  return out;
}

/** Every file under a folder with its sha256 (the backup folder, byte for byte). */
export function folderListing(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p, `${rel}${e.name}/`);
      else out.push(`${rel}${e.name} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
    }
  };
  walk(dir, '');
  return out;
}

export async function captureProduction(s: Scenario): Promise<ProductionState> {
  const tableNames = (
    await s.query<{ name: string }>(
      `SELECT quote_ident(schemaname) || '.' || quote_ident(relname) AS name FROM pg_stat_user_tables ORDER BY 1`,
    )
  ).map((r) => r.name);
  const tables: ProductionState['tables'] = {};
  for (const name of tableNames) {
    const [row] = await s.query<{ rows: string; checksum: string | null }>(
      `SELECT count(*) AS rows, md5(string_agg(md5(t::text), '' ORDER BY md5(t::text))) AS checksum FROM ${name} t`,
    );
    tables[name] = { rows: Number(row!.rows), checksum: row!.checksum ?? 'empty' };
  }
  return {
    schema: schemaDump(s),
    migrations: await s.query('SELECT * FROM _prisma_migrations ORDER BY started_at, migration_name'),
    tables,
    users: await s.query('SELECT * FROM users ORDER BY id'),
    messages: await s.query('SELECT * FROM messages ORDER BY id'),
    head: s.head(),
    status: execFileSync('git', ['-C', s.prod.appDir, 'status', '--porcelain'], { encoding: 'utf8' }),
    packages: installedPackages(s.prod.appDir),
    backups: folderListing(s.backupDir),
  };
}

export interface Health {
  status?: string;
  version?: string;
  maintenance?: boolean;
}

export async function health(s: Scenario): Promise<Health> {
  return (await fetch(`${s.prod.baseUrl}/health`, { signal: AbortSignal.timeout(5_000) })).json() as Promise<Health>;
}

/**
 * Production is exactly where it was before the deployment: same schema, migrations, every
 * table's rows, v1's code with a clean working copy, v1's packages, and v1 serving with writes
 * open. `smokeRuns` is how many verifications ran against the final database (each registers one
 * user and posts one message) and `ownUsers` the users the test registered through the app while
 * it ran: those rows, and only those, are new.
 */
export async function expectBackAtV1(
  s: Scenario,
  before: ProductionState,
  o: { smokeRuns: number; ownUsers?: string[] },
): Promise<void> {
  const now = await captureProduction(s);
  expect(now.schema, 'schema (pg_dump --schema-only)').toBe(before.schema);
  expect(now.migrations, '_prisma_migrations').toEqual(before.migrations);
  expect(Object.keys(now.tables), 'tables').toEqual(Object.keys(before.tables));
  for (const [name, t] of Object.entries(before.tables)) {
    if (name === 'public.users' || name === 'public.messages') continue; // compared row by row below
    expect(now.tables[name], name).toEqual(t);
  }
  // Rows that existed before are all there, unchanged; the only new ones are the smoke tests'.
  expect(now.users.slice(0, before.users.length), 'users').toEqual(before.users);
  expect(now.messages.slice(0, before.messages.length), 'messages').toEqual(before.messages);
  const own = new Set(o.ownUsers ?? []);
  const newUsers = now.users.slice(before.users.length).map((u) => u.email as string);
  const newMessages = now.messages.slice(before.messages.length);
  expect(newUsers.filter((e) => own.has(e)).sort(), 'users the test itself registered').toEqual([...own].sort());
  expect(
    newUsers.filter((e) => !own.has(e)),
    'new users',
  ).toEqual(
    Array.from({ length: o.smokeRuns }, () => expect.stringMatching(/^smoke-[0-9a-f]{12}@farm-chat\.example$/)),
  );
  expect(
    newMessages.map((m) => m.body),
    'new messages',
  ).toEqual(Array.from({ length: o.smokeRuns }, () => expect.stringMatching(/^deployment smoke test [0-9a-f]{12}$/)));
  expect(now.tables['public.users']!.rows).toBe(before.tables['public.users']!.rows + o.smokeRuns + own.size);
  expect(now.tables['public.messages']!.rows).toBe(before.tables['public.messages']!.rows + o.smokeRuns);

  expect(now.head, 'HEAD').toBe(s.origin.tags.v1);
  expect(now.status, 'git status --porcelain').toBe('');
  expect(now.packages, 'node_modules').toEqual(before.packages);
  expect(now.packages, "node_modules = v1's lockfile").toEqual(lockfilePackages(s, 'v1'));
  expect(now.packages.xml2js).toBeUndefined();
  expect(await health(s)).toMatchObject({ status: 'ok', version: '1.0.0', maintenance: false });
}

/** Production is byte for byte what it was: not even a smoke-test row, and no new backup. */
export async function expectUntouched(s: Scenario, before: ProductionState): Promise<void> {
  expect(await captureProduction(s)).toEqual(before);
  expect(await health(s)).toMatchObject({ status: 'ok', version: '1.0.0', maintenance: false });
}

/** The report of a rollback that completed and proved itself. */
export function expectVerifiedRollback(report: DeploymentReport): void {
  expect(report.outcome).toBe('rolled-back');
  expect(report.rollback?.verified).toBe(true);
  expect(report.rollback?.leftForHumans).toEqual([]);
  expect(report.rollback?.checks.length).toBeGreaterThan(0);
  expect(report.rollback?.checks.filter((c) => !c.ok)).toEqual([]);
  expect(report.rollback?.checks.map((c) => c.name)).toEqual(
    expect.arrayContaining([
      'code at release',
      'node_modules matches lockfile',
      'health',
      'registration',
      'login',
      'rows public.users',
      'rows public.messages',
    ]),
  );
}

/** Values that must never reach the history, by name: the database password, the app's secrets, the bypass token. */
export function secretsOf(s: Scenario): Record<string, string> {
  const bypass = /^MAINTENANCE_BYPASS_TOKEN=(.+)$/m.exec(readFileSync(s.prod.envFile, 'utf8'))?.[1];
  expect(bypass).toBeTruthy();
  // Not SATSHOT_MCP_PORT (as in the fault matrix): a port is configuration, not a secret, and its
  // four digits recur by chance as numbers of their own in a history (seen: a write point's
  // transaction ids in CI).
  const secretEnv = Object.fromEntries(
    Object.entries(FARM_CHAT_FAKE_ENV).filter(([name]) => name !== 'SATSHOT_MCP_PORT'),
  );
  return { 'database password': s.dbPassword, ...secretEnv, MAINTENANCE_BYPASS_TOKEN: bypass! };
}

export { containsValue } from '../../scripts/lib/secretScan.js';

/** No secret value in the deployment's full event history, nor in anything this process's workers logged. */
export async function expectNoSecretsInHistoryOrLog(s: Scenario, handle: WorkflowHandle): Promise<void> {
  const leaked = (text: string) => leakedSecrets(text, secretsOf(s));
  expect(leaked(await historyText(handle)), 'secret values in the history').toEqual([]);
  const log = workerLogText();
  expect(log, 'the worker logged nothing: the log scan would prove nothing').not.toBe('');
  expect(leaked(log), 'secret values in the worker log').toEqual([]);
}

/** For each time the workflow scheduled `activity`, how many attempts it took (retries add no events: the started event says which attempt it was). */
export async function attemptsOf(handle: WorkflowHandle, activity: string): Promise<number[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = events
    .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activity)
    .map((e) => String(e.eventId));
  return scheduled.map(
    (id) =>
      events.find((e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === id)
        ?.activityTaskStartedEventAttributes?.attempt ?? 0,
  );
}

/** Users, messages, the migrations table and the public schema's columns, indexes and constraints, row by row. */
const ROW_QUERIES: Record<string, string> = {
  users: 'SELECT * FROM users ORDER BY id',
  messages: 'SELECT * FROM messages ORDER BY id',
  migrations:
    'SELECT id, checksum, migration_name, finished_at, rolled_back_at, started_at, applied_steps_count FROM _prisma_migrations ORDER BY started_at',
  columns: `SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2`,
  indexes: `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`,
  constraints: `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1`,
};

export type ProductionRows = Record<string, unknown[]>;

/** Every row of ROW_QUERIES, before a deployment whose rollback must put each one back. */
export async function captureRows(s: Scenario): Promise<ProductionRows> {
  const rows: ProductionRows = {};
  for (const [name, sql] of Object.entries(ROW_QUERIES)) rows[name] = await s.query(sql);
  return rows;
}

/**
 * Every row as captured, and nothing else but the user and message the rollback's own
 * verification registered: one of each per host it verified (`smokeRuns`).
 */
export async function expectRowsRestored(s: Scenario, before: ProductionRows, smokeRuns = 1): Promise<void> {
  for (const [name, sql] of Object.entries(ROW_QUERIES)) {
    const now = await s.query(sql);
    if (name === 'users' || name === 'messages') {
      expect(now.slice(0, before[name]!.length), name).toEqual(before[name]);
      expect(now.length - before[name]!.length, name).toBe(smokeRuns);
    } else {
      expect(now, name).toEqual(before[name]);
    }
  }
}

/** Deploys `ref` to the scenario's production, capturing that production first for the checks after. */
export async function deployCapturing(
  s: Scenario,
  ref: string,
): Promise<{
  report: DeploymentReport;
  before: ProductionState;
  handle: Awaited<ReturnType<Scenario['deploy']>>['handle'];
}> {
  const before = await captureProduction(s);
  const { handle, report } = await s.deploy(s.request(ref));
  return { report, before, handle };
}
