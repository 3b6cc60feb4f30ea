import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, isListening, waitUntil } from '../../scripts/lib/ports.js';

/** Debian's package (`apt-get install pgbouncer`); tests that need it are skipped without it. */
export const PGBOUNCER = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find((p) => existsSync(p));

export interface PgBouncer {
  port: number;
  /** URL of `alias` (a database entry of the config) through the pooler. */
  url(alias: string): string;
  stop(): Promise<void>;
}

/**
 * A real PgBouncer in front of one database, under three aliases: `tx` (pool_mode=transaction),
 * `tx1` (the same with a single server connection) and `session` (pool_mode=session). Like
 * PostgreSQL, it refuses to run as root.
 */
export async function startPgBouncer(o: {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}): Promise<PgBouncer> {
  if (!PGBOUNCER) throw new Error('pgbouncer is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'safe-deploy-pgbouncer-'));
  const port = await freePort();
  const target = `host=${o.host} port=${o.port} dbname=${o.database}`;
  writeFileSync(join(dir, 'userlist.txt'), `"${o.user}" "${o.password}"\n`, { mode: 0o600 });
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `tx = ${target} pool_mode=transaction`,
      `tx1 = ${target} pool_mode=transaction pool_size=1`,
      `session = ${target} pool_mode=session`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = plain',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      'default_pool_size = 4',
      `logfile = ${join(dir, 'pgbouncer.log')}`,
      'ignore_startup_parameters = extra_float_digits,options',
      '',
    ].join('\n'),
  );
  let uid: number | undefined;
  let gid: number | undefined;
  if (process.getuid?.() === 0) {
    uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    for (const f of ['', 'userlist.txt', 'pgbouncer.ini']) chownSync(join(dir, f), uid, gid);
  }
  const child: ChildProcess = spawn(PGBOUNCER, [join(dir, 'pgbouncer.ini')], { uid, gid, stdio: 'ignore' });
  try {
    await waitUntil(`pgbouncer on ${port}`, () => isListening(port), 10_000);
  } catch (e) {
    child.kill('SIGKILL');
    const log = existsSync(join(dir, 'pgbouncer.log')) ? readFileSync(join(dir, 'pgbouncer.log'), 'utf8') : '';
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(e as Error).message}\n${log}`);
  }
  return {
    port,
    url: (alias) =>
      `postgresql://${encodeURIComponent(o.user)}:${encodeURIComponent(o.password)}@127.0.0.1:${port}/${alias}`,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
