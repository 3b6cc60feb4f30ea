import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Linter, type LintOptions } from './lintMigration.js';
import type { LintReport, MigrationLint } from './types.js';

/**
 * Lints a Prisma migrations folder: every sub-folder is a migration whose SQL is
 * `<dir>/<name>/migration.sql`, applied in sorted name order, each linted on top of the ones
 * before it (lintMigrations). Files beside them (migration_lock.toml) are not migrations. A folder
 * without migration.sql is `invalid`, as Prisma refuses it too; a migration over the size limit is
 * `invalid` without being read. Reads synchronously: ten thousand small files go faster that way
 * than through the thread pool, and nothing else waits on this process.
 */
export async function lintMigrationsDir(dir: string, options: LintOptions = {}): Promise<LintReport> {
  const names = readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const linter = new Linter(options);
  const migrations: MigrationLint[] = [];
  for (const name of names) {
    const file = join(dir, name, 'migration.sql');
    let sql: string;
    try {
      const stat = statSync(file);
      // Only a regular file: a migration.sql linked to /dev/zero or a FIFO would never end.
      if (!stat.isFile()) throw new Error('not a regular file');
      if (linter.isTooLarge(stat.size)) {
        migrations.push(linter.tooLarge(name, file, stat.size));
        continue;
      }
      sql = readFileSync(file, 'utf8');
    } catch {
      migrations.push({
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
      });
      continue;
    }
    migrations.push(linter.lint(name, sql, file));
  }
  return { migrations };
}
