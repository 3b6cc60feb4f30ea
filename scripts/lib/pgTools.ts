import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const PG_SERVER_TOOLS = ['initdb', 'pg_ctl', 'postgres', 'pg_dump', 'pg_restore', 'psql'] as const;

/**
 * Finds the PostgreSQL server binaries, which Debian installs off PATH
 * (/usr/lib/postgresql/<major>/bin). Throws a message naming the package to install.
 */
export function findPgBinDir(): string {
  const candidates: string[] = [];
  if (process.env.PG_BINDIR) candidates.push(process.env.PG_BINDIR);
  try {
    candidates.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim());
  } catch {
    /* pg_config not installed: look in Debian's folders */
  }
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    for (const major of readdirSync(debian).sort((a, b) => Number(b) - Number(a)))
      candidates.push(join(debian, major, 'bin'));
  }
  for (const dir of candidates) {
    if (PG_SERVER_TOOLS.every((tool) => existsSync(join(dir, tool)))) return dir;
  }
  throw new Error(
    `PostgreSQL server binaries (${PG_SERVER_TOOLS.join(', ')}) not found` +
      (candidates.length ? ` in ${candidates.join(', ')}` : '') +
      '. Install them with: apt-get install -y postgresql-15 (or set PG_BINDIR to their folder)',
  );
}
