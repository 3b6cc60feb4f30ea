import { readdirSync } from 'node:fs';
import type { DatabaseFacts } from './databaseFacts.js';
import { DEFAULT_LIMITS, Linter, type LintOptions } from './lintMigration.js';
import { readMigrationFile, type MigrationFile } from './migrationFile.js';
import { parseMigrationTree, wholePieces } from './parse.js';
import { canParseAhead, parseAhead, type PreparedMigration } from './parseAhead.js';
import type { LintReport, MigrationLint } from './types.js';

export interface LintDirOptions extends Omit<LintOptions, 'database'> {
  /**
   * Reads the live database's facts once every migration's SQL is known (readDatabaseFacts asks
   * only about what they name); the migrations are then linted with them.
   */
  database?: (sql: readonly string[]) => Promise<DatabaseFacts>;
  /**
   * Read and parse on a second thread, ahead of the rules (default: from `PARSE_AHEAD_FROM`
   * migrations on, where the built worker is there). The findings are the same either way.
   */
  parseAhead?: boolean;
}

/** From this many migrations on, starting the parse worker (about 40 ms) pays for itself. */
export const PARSE_AHEAD_FROM = 200;

/**
 * Lints a Prisma migrations folder: every sub-folder is a migration whose SQL is
 * `<dir>/<name>/migration.sql`, applied in sorted name order, each linted on top of the ones
 * before it (lintMigrations). Files beside them (migration_lock.toml) are not migrations. A folder
 * without migration.sql is `invalid`, as Prisma refuses it too; a migration over the size limit is
 * `invalid` without being read. A big folder is read and parsed by a worker thread (parseAhead.ts)
 * while this one runs the rules, which must see the migrations in order.
 */
export async function lintMigrationsDir(dir: string, options: LintDirOptions = {}): Promise<LintReport> {
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const { database, parseAhead: ahead, ...rest } = options;
  const limits = { ...DEFAULT_LIMITS, ...rest.limits };
  if (database) {
    // Every file first: the catalog is asked about what they name, before the first is linted.
    const read = names.map((name) => ({ name, ...readMigrationFile(dir, name, limits.maxMigrationBytes) }));
    const facts = await database(read.flatMap((r) => ('sql' in r ? [r.sql] : [])));
    const linter = new Linter({ ...rest, database: facts });
    return {
      migrations: read.map((r) => lintFile(linter, r)),
      database: { serverVersion: facts.serverVersion, tables: Object.keys(facts.tables).length },
    };
  }
  const linter = new Linter(rest);
  const migrations: MigrationLint[] = [];
  if (ahead ?? (names.length >= PARSE_AHEAD_FROM && canParseAhead())) {
    for await (const batch of parseAhead(dir, names, limits)) {
      for (const m of batch)
        migrations.push(
          lintFile(linter, 'file' in m ? m : { ...m, ...readMigrationFile(dir, m.name, limits.maxMigrationBytes) }),
        );
    }
    return { migrations };
  }
  for (const name of names)
    migrations.push(lintFile(linter, { name, ...readMigrationFile(dir, name, limits.maxMigrationBytes) }));
  return { migrations };
}

/** One migration's lint: its file read (and maybe parsed) already. */
function lintFile(linter: Linter, m: { name: string } & (MigrationFile | PreparedMigration)): MigrationLint {
  if ('tooLarge' in m) return linter.tooLarge(m.name, m.file, m.tooLarge);
  if ('unreadable' in m) return missingMigrationSql(m.name, m.file);
  const parsed =
    'tree' in m && m.tree !== undefined
      ? wholePieces(parseMigrationTree(m.sql, m.tree))
      : 'error' in m && m.error !== undefined
        ? wholePieces({ ok: false, error: m.error })
        : undefined;
  return linter.lint(m.name, m.sql, m.file, undefined, parsed);
}

function missingMigrationSql(name: string, file: string): MigrationLint {
  return {
    name,
    severity: 'invalid',
    findings: [
      {
        rule: 'missing-migration-sql',
        severity: 'error',
        file,
        line: 1,
        statement: '',
        message: 'the migration folder has no readable migration.sql (a regular file)',
        safer: 'Add the migration.sql or remove the folder.',
      },
    ],
  };
}
