import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { lintMigration } from './lintMigration.js';
import type { LintReport, MigrationLint } from './types.js';

/**
 * Lints a Prisma migrations folder: every sub-folder is a migration whose SQL is
 * `<dir>/<name>/migration.sql`, applied in sorted name order. Files beside them
 * (migration_lock.toml) are not migrations. A folder without migration.sql is `invalid`,
 * as Prisma refuses it too.
 */
export async function lintMigrationsDir(dir: string): Promise<LintReport> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const migrations: MigrationLint[] = [];
  for (const name of names) {
    const file = join(dir, name, 'migration.sql');
    let sql: string;
    try {
      sql = await readFile(file, 'utf8');
    } catch {
      migrations.push({
        name,
        severity: 'invalid',
        findings: [{ rule: 'missing-migration-sql', severity: 'error', file, line: 1, statement: '', message: 'the migration folder has no readable migration.sql', safer: 'Add the migration.sql or remove the folder.' }],
      });
      continue;
    }
    migrations.push(lintMigration(name, sql, file));
  }
  return { migrations };
}
