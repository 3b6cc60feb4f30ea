import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { DatabaseFacts } from './databaseFacts.js';
import { Linter, type LintOptions } from './lintMigration.js';
import type { LintReport, MigrationLint } from './types.js';

export interface LintDirOptions extends Omit<LintOptions, 'database'> {
  /**
   * Reads the live database's facts once every migration's SQL is known (readDatabaseFacts asks
   * only about what they name); the migrations are then linted with them.
   */
  database?: (sql: readonly string[]) => Promise<DatabaseFacts>;
}

type Read = { name: string; file: string; sql: string } | { name: string; lint: MigrationLint };

/**
 * Lints a Prisma migrations folder: every sub-folder is a migration whose SQL is
 * `<dir>/<name>/migration.sql`, applied in sorted name order, each linted on top of the ones
 * before it (lintMigrations). Files beside them (migration_lock.toml) are not migrations. A folder
 * without migration.sql is `invalid`, as Prisma refuses it too; a migration over the size limit is
 * `invalid` without being read. Reads synchronously: ten thousand small files go faster that way
 * than through the thread pool, and nothing else waits on this process.
 */
export async function lintMigrationsDir(dir: string, options: LintDirOptions = {}): Promise<LintReport> {
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const { database, ...rest } = options;
  if (database) {
    // Every file first: the catalog is asked about what they name, before the first is linted.
    const probe = new Linter(rest);
    const read = names.map((name) => readMigration(dir, name, probe));
    const facts = await database(read.flatMap((r) => ('sql' in r ? [r.sql] : [])));
    const linter = new Linter({ ...rest, database: facts });
    return {
      migrations: read.map((r) => ('sql' in r ? linter.lint(r.name, r.sql, r.file) : r.lint)),
      database: { serverVersion: facts.serverVersion, tables: Object.keys(facts.tables).length },
    };
  }
  const linter = new Linter(rest);
  const migrations: MigrationLint[] = [];
  for (const name of names) {
    const r = readMigration(dir, name, linter);
    migrations.push('sql' in r ? linter.lint(r.name, r.sql, r.file) : r.lint);
  }
  return { migrations };
}

/** One migration's SQL, or its `invalid` lint when it cannot be read or is over the size limit. */
function readMigration(dir: string, name: string, linter: Linter): Read {
  const file = join(dir, name, 'migration.sql');
  try {
    const stat = statSync(file);
    // Only a regular file: a migration.sql linked to /dev/zero or a FIFO would never end.
    if (!stat.isFile()) throw new Error('not a regular file');
    if (linter.isTooLarge(stat.size)) return { name, lint: linter.tooLarge(name, file, stat.size) };
    return { name, file, sql: readFileSync(file, 'utf8') };
  } catch {
    return {
      name,
      lint: {
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
      },
    };
  }
}
