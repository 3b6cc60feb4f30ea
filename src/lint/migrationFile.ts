import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A migration folder's `migration.sql`: its SQL; or its size when that is over the limit (it is
 * then not read); or `unreadable` when it is missing or not a regular file.
 */
export type MigrationFile =
  { file: string; sql: string } | { file: string; tooLarge: number } | { file: string; unreadable: true };

/**
 * Reads `<dir>/<name>/migration.sql` synchronously (ten thousand small files go faster that way
 * than through the thread pool). Only a regular file: a migration.sql linked to /dev/zero or a
 * FIFO would never end.
 */
export function readMigrationFile(dir: string, name: string, maxBytes: number): MigrationFile {
  const file = join(dir, name, 'migration.sql');
  try {
    const stat = statSync(file);
    if (!stat.isFile()) return { file, unreadable: true };
    if (stat.size > maxBytes) return { file, tooLarge: stat.size };
    return { file, sql: readFileSync(file, 'utf8') };
  } catch {
    return { file, unreadable: true };
  }
}
