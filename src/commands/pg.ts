import { parse } from 'pg-connection-string';
import type { Cmd } from '../exec/run.js';

/** A database to act on. The password travels only in env (PGPASSWORD), never in argv. */
export interface DbTarget {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  sslmode?: string;
  /**
   * Bounds of safe-deploy's own sessions there (the environment's
   * database.lockTimeout/statementTimeout); absent: pgClient's defaults.
   */
  session?: SessionLimits;
  /**
   * Our sessions start writable whatever the role's default (`-c default_transaction_read_only=off`
   * in the startup packet): set while writes may be paused at the database (writes.stopAt), where
   * that default is what holds the app's own sessions.
   */
  writable?: boolean;
}

/** The startup options that keep safe-deploy's own sessions writable while the app's role is paused read-only. */
export const WRITABLE_SESSION_OPTIONS = '-c default_transaction_read_only=off';

export interface SessionLimits {
  lockTimeoutMs: number;
  statementTimeoutMs: number;
}

export function parseDatabaseUrl(url: string): DbTarget {
  const c = parse(url);
  const parsed = new URL(url);
  // pg-connection-string decodes the path with decodeURI, which leaves %3B, %3D, %2F… encoded:
  // a database named `a;b=c` must be read as itself, or every name derived from it is wrong.
  const database = parsed.pathname.length > 1 ? decodeURIComponent(parsed.pathname.slice(1)) : c.database;
  if (!database || !c.user) throw new Error('the database URL must name a user and a database');
  const sslmode = parsed.searchParams.get('sslmode') ?? undefined;
  return {
    host: c.host ?? '127.0.0.1',
    port: Number(c.port ?? 5432),
    user: c.user,
    password: c.password ?? '',
    database,
    sslmode,
  };
}

export function withDatabase(db: DbTarget, database: string): DbTarget {
  return { ...db, database };
}

export function databaseUrl(db: DbTarget): string {
  const auth = `${encodeURIComponent(db.user)}:${encodeURIComponent(db.password)}`;
  const query = db.sslmode ? `?sslmode=${encodeURIComponent(db.sslmode)}` : '';
  return `postgresql://${auth}@${db.host}:${db.port}/${encodeURIComponent(db.database)}${query}`;
}

function pgEnv(db: DbTarget): Record<string, string> {
  const env: Record<string, string> = {
    PGHOST: db.host,
    PGPORT: String(db.port),
    PGUSER: db.user,
    PGPASSWORD: db.password,
    PGDATABASE: db.database,
  };
  if (db.sslmode) env.PGSSLMODE = db.sslmode;
  if (db.writable) env.PGOPTIONS = WRITABLE_SESSION_OPTIONS;
  return env;
}

const target = (db: DbTarget, file: string, args: string[], timeoutMs?: number): Cmd => ({
  file,
  args,
  env: pgEnv(db),
  secrets: [db.password],
  timeoutMs,
});

/**
 * Dump of the whole database, consistent with `snapshot` (an exported snapshot) when given.
 * `verbose` names each table as it is dumped (on stderr), which is how progress is told.
 */
export function pgDump(
  bin: string,
  db: DbTarget,
  o: {
    file: string;
    format: 'custom' | 'directory';
    jobs: number;
    snapshot?: string;
    compression?: number;
    verbose?: boolean;
    /** pg_dump patterns of tables whose rows are left out (their schema stays). */
    excludeTableData?: readonly string[];
  },
): Cmd {
  const args = [`--format=${o.format}`, `--file=${o.file}`, '--no-password'];
  for (const pattern of o.excludeTableData ?? []) args.push(`--exclude-table-data=${pattern}`);
  if (o.format === 'directory' && o.jobs > 1) args.push(`--jobs=${o.jobs}`);
  if (o.compression !== undefined) args.push(`--compress=${o.compression}`);
  if (o.snapshot) args.push(`--snapshot=${o.snapshot}`);
  if (o.verbose) args.push('--verbose');
  return target(db, bin, args);
}

/**
 * The schema alone, without owners or grants, for comparing two databases: to stdout, or to
 * `o.file` when every byte matters (the runner keeps only a tail of stdout). `o.excludeTables`
 * are pg_dump patterns.
 */
export function pgDumpSchema(
  bin: string,
  db: DbTarget,
  snapshot?: string,
  o: { excludeTables?: readonly string[]; file?: string } = {},
): Cmd {
  const args = ['--schema-only', '--no-owner', '--no-privileges', '--no-password'];
  if (snapshot) args.push(`--snapshot=${snapshot}`);
  for (const pattern of o.excludeTables ?? []) args.push(`--exclude-table=${pattern}`);
  if (o.file) args.push(`--file=${o.file}`);
  return target(db, bin, args);
}

/** Lists a dump's table of contents: proves the archive is readable end to end. */
export function pgRestoreList(bin: string, file: string): Cmd {
  return { file: bin, args: ['--list', file] };
}

export function pgRestore(bin: string, db: DbTarget, o: { file: string; jobs: number; verbose?: boolean }): Cmd {
  const args = [`--dbname=${db.database}`, '--no-owner', '--exit-on-error', '--no-password'];
  if (o.jobs > 1) args.push(`--jobs=${o.jobs}`);
  if (o.verbose) args.push('--verbose');
  args.push(o.file);
  return target(db, bin, args);
}

export function toolVersion(bin: string): Cmd {
  return { file: bin, args: ['--version'] };
}
