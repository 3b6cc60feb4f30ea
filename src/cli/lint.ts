import { stat } from 'node:fs/promises';
import { redact } from '../exec/redact.js';
import type { DatabaseFacts } from '../lint/databaseFacts.js';
import { lintMigrationsDir, worstSeverity, type Finding, type LintReport } from '../lint/index.js';

/**
 * `safe-deploy lint <migrations-dir> [--json] [--max-migration-mb N] [--database-url-env NAME]`:
 * the risk of each migration in a Prisma migrations folder, without Temporal; with the live
 * database's catalog when the env var NAME holds its URL. Exit code: 0 when nothing is destructive
 * or invalid, 1 otherwise, 2 when the folder does not exist, an option is wrong or the database
 * cannot be read.
 */
export async function runLint(
  dir: string,
  o: { json?: boolean; maxMigrationMb?: string; databaseUrlEnv?: string },
): Promise<number> {
  const maxMb = o.maxMigrationMb === undefined ? undefined : Number(o.maxMigrationMb);
  if (maxMb !== undefined && !(maxMb > 0 && maxMb <= 1024)) {
    console.error(
      `safe-deploy lint: --max-migration-mb must be a number of megabytes above 0 and at most 1024 (got ` +
        `${o.maxMigrationMb})`,
    );
    return 2;
  }
  const isDir = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) {
    console.error(
      `safe-deploy lint: no migrations folder at ${dir} (give a Prisma migrations folder, e.g. prisma/migrations)`,
    );
    return 2;
  }
  const name = o.databaseUrlEnv;
  if (name !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    // Not echoed: what was given instead of a name may be the URL itself, password and all.
    console.error(
      'safe-deploy lint: --database-url-env takes the NAME of an environment variable that holds the URL ' +
        '(letters, digits, _), never the URL',
    );
    return 2;
  }
  const url = name === undefined ? undefined : process.env[name];
  if (name !== undefined && !url) {
    console.error(`safe-deploy lint: --database-url-env ${name}: the environment variable ${name} is not set`);
    return 2;
  }
  const limits = maxMb === undefined ? {} : { maxMigrationBytes: Math.round(maxMb * 1024 * 1024) };
  let report: LintReport;
  try {
    report = await stdoutToStderr(() =>
      lintMigrationsDir(dir, { limits, ...(url ? { database: (sql) => readLiveDatabase(url, sql) } : {}) }),
    );
  } catch (e) {
    if (!(e instanceof LiveDatabaseUnreadable)) throw e;
    console.error(`safe-deploy lint: could not read the database in ${name}: ${e.message}`);
    return 2;
  }
  console.log(o.json ? JSON.stringify(report, null, 2) : renderLint(dir, report));
  return lintExitCode(report);
}

class LiveDatabaseUnreadable extends Error {}

/** The live database's facts over one short-lived connection; its URL (a secret) never appears in an error. */
async function readLiveDatabase(url: string, sql: readonly string[]): Promise<DatabaseFacts> {
  const [{ default: pg }, { readDatabaseFacts, mentionedIn }] = await Promise.all([
    import('pg'),
    import('../lint/readDatabaseFacts.js'),
  ]);
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    /* not a URL pg can use either: its own error says so below */
  }
  const client = new pg.Client({
    connectionString: url,
    application_name: 'safe-deploy lint',
    connectionTimeoutMillis: 10_000,
  });
  client.on('error', () => {
    /* a dropped connection fails the query in progress, which reports it */
  });
  try {
    await client.connect();
    return await readDatabaseFacts(client, mentionedIn(sql));
  } catch (e) {
    throw new LiveDatabaseUnreadable(redact((e as Error).message, [url, password]));
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Runs `fn` with whatever else writes to stdout meanwhile (the WebAssembly parser prints its own
 * FATAL lines there) sent to stderr instead: stdout carries the report alone, and `--json` stays JSON.
 */
async function stdoutToStderr<T>(fn: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  process.stdout.write = ((...args: Parameters<typeof write>) =>
    process.stderr.write(...(args as Parameters<typeof process.stderr.write>))) as typeof write;
  try {
    return await fn();
  } finally {
    process.stdout.write = write;
  }
}

export function lintExitCode(report: LintReport): number {
  const worst = worstSeverity(report.migrations.map((m) => m.severity));
  return worst === 'destructive' || worst === 'invalid' ? 1 : 0;
}

/** The report for people: one line per migration, then each finding with why and the safer way. */
export function renderLint(dir: string, report: LintReport): string {
  const { migrations } = report;
  if (migrations.length === 0) return `${dir}: no migrations`;
  const width = Math.max(...migrations.map((m) => m.name.length));
  const lines: string[] = [];
  if (report.database && 'serverVersion' in report.database)
    lines.push(
      `live database: PostgreSQL ${report.database.serverVersion}, ${report.database.tables} of the tables ` +
        `the migrations name read from its catalog`,
      '',
    );
  if (report.database && 'error' in report.database) lines.push(`live database not read: ${report.database.error}`, '');
  for (const m of migrations) {
    const notices = m.findings.filter((f) => f.severity === 'notice').length;
    lines.push(
      `${m.name.padEnd(width)}  ${m.severity}${notices ? ` (${notices} notice${notices > 1 ? 's' : ''})` : ''}`,
    );
    for (const f of m.findings) lines.push(...findingLines(f));
  }
  const count = (s: string) => migrations.filter((m) => m.severity === s).length;
  lines.push(
    '',
    `${migrations.length} migration${migrations.length > 1 ? 's' : ''}: ${count('destructive')} ` +
      `destructive, ${count('risky')} risky, ${count('additive')} additive, ${count('invalid')} invalid`,
  );
  return lines.join('\n');
}

function findingLines(f: Finding): string[] {
  const sql = f.statement.replace(/\s+/g, ' ');
  return [
    `  line ${f.line}  ${f.severity}  ${f.rule}`,
    ...(sql ? [`    ${sql.length > 120 ? `${sql.slice(0, 119)}…` : sql}`] : []),
    `    why:   ${f.message}`,
    `    safer: ${f.safer}`,
  ];
}
