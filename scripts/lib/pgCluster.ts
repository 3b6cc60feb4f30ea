import { execFile, execFileSync, type ExecFileSyncOptions } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { findPgBinDir } from './pgTools.js';
import { freePort } from './ports.js';

export interface PgCluster {
  host: string;
  port: number;
  superuser: string;
  password: string;
  dataDir: string;
  binDir: string;
  /** postgres://user:password@host:port/db */
  url(database: string, user?: string, password?: string): string;
  /** Runs SQL as the superuser on `database` (default `postgres`). */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    sql: string,
    params?: unknown[],
    database?: string,
  ): Promise<pg.QueryResult<R>>;
  /** Creates a login role with CREATEDB and a database it owns; returns that role's URL. */
  createAppDatabase(name: string, role: string, password: string): Promise<string>;
  /** Stops the server (`pg_ctl stop -m <mode> -w`), keeping its data: the fault matrix's outage. */
  shutdown(mode: 'smart' | 'fast' | 'immediate'): Promise<void>;
  /** Starts a server that shutdown() stopped, on the same port and data (`pg_ctl start -w`). */
  startAgain(): Promise<void>;
  /** `pg_ctl restart -m <mode> -w`: `immediate` is a crash, the server recovers from its WAL. */
  restart(mode: 'fast' | 'immediate'): Promise<void>;
  stop(): Promise<void>;
}

/** initdb and postgres refuse to run as root: run them as the `postgres` user when we are root. */
function asServerUser(): { user: string; uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return { user: userInfo().username };
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { user: 'postgres', uid, gid };
}

/** Stops a cluster started by startPgCluster (also one a previous process left running) and removes its folder. */
export function stopPgCluster(dataDir: string, binDir = findPgBinDir()): void {
  const server = asServerUser();
  try {
    execFileSync(join(binDir, 'pg_ctl'), ['-D', dataDir, '-m', 'immediate', '-w', 'stop'], {
      stdio: 'pipe',
      uid: server.uid,
      gid: server.gid,
      cwd: dirname(dataDir),
    });
  } catch {
    /* not running */
  } finally {
    rmSync(dirname(dataDir), { recursive: true, force: true });
  }
}

/**
 * Starts a throwaway PostgreSQL cluster on a free port of 127.0.0.1, with password (scram) auth.
 * The folder lives under the system temp dir, because the server user must be able to reach it
 * (a clone under a root-only folder would not be). `durable` keeps fsync and full-page writes on.
 */
export async function startPgCluster(
  opts: { port?: number; baseDir?: string; durable?: boolean } = {},
): Promise<PgCluster> {
  const binDir = findPgBinDir();
  const server = asServerUser();
  const baseDir = opts.baseDir ?? mkdtempSync(join(tmpdir(), 'safe-deploy-pg-'));
  mkdirSync(baseDir, { recursive: true });
  chmodSync(baseDir, 0o755);
  const dataDir = join(baseDir, 'data');
  const pwFile = join(baseDir, 'superuser.pw');
  const password = randomBytes(12).toString('hex');
  writeFileSync(pwFile, password + '\n', { mode: 0o600 });
  if (server.uid !== undefined) {
    chownSync(baseDir, server.uid, server.gid!);
    chownSync(pwFile, server.uid, server.gid!);
  }
  const run = (tool: string, args: string[], extra: ExecFileSyncOptions = {}) =>
    execFileSync(join(binDir, tool), args, { stdio: 'pipe', uid: server.uid, gid: server.gid, cwd: baseDir, ...extra });

  run('initdb', [
    '-D',
    dataDir,
    '-U',
    'postgres',
    `--pwfile=${pwFile}`,
    '--auth=scram-sha-256',
    '--encoding=UTF8',
    '--locale=C.UTF-8',
  ]);
  rmSync(pwFile);
  const port = opts.port ?? (await freePort());
  // Tests trade durability for speed; a benchmark keeps PostgreSQL's defaults, as production does.
  const speed = opts.durable ? [] : ['-c', 'fsync=off', '-c', 'full_page_writes=off'];
  const serverOptions = ['-p', String(port), '-k', dataDir, '-c', 'listen_addresses=127.0.0.1', ...speed].join(' ');
  const startArgs = ['-D', dataDir, '-o', serverOptions, '-l', join(baseDir, 'server.log'), '-w', '-t', '60', 'start'];
  run('pg_ctl', startArgs);
  // Asynchronous: the fault matrix stops and starts a station's server while other cases run.
  const pgCtl = async (args: string[]) =>
    void (await promisify(execFile)(join(binDir, 'pg_ctl'), args, { uid: server.uid, gid: server.gid, cwd: baseDir }));

  const host = '127.0.0.1';
  const url = (database: string, user = 'postgres', pw = password) =>
    `postgres://${encodeURIComponent(user)}:${encodeURIComponent(pw)}@${host}:${port}/${encodeURIComponent(database)}`;
  const query = async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = [], database = 'postgres') => {
    const client = new pg.Client({ connectionString: url(database) });
    await client.connect();
    try {
      return await client.query<R>(sql, params);
    } finally {
      await client.end();
    }
  };
  const quoteIdent = (s: string) => '"' + s.replaceAll('"', '""') + '"';
  const quoteLiteral = (s: string) => "'" + s.replaceAll("'", "''") + "'";
  return {
    host,
    port,
    superuser: 'postgres',
    password,
    dataDir,
    binDir,
    url,
    query,
    async createAppDatabase(name, role, rolePassword) {
      const exists = await query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      if (exists.rowCount === 0)
        await query(`CREATE ROLE ${quoteIdent(role)} LOGIN CREATEDB PASSWORD ${quoteLiteral(rolePassword)}`);
      await query(`CREATE DATABASE ${quoteIdent(name)} OWNER ${quoteIdent(role)}`);
      return url(name, role, rolePassword);
    },
    shutdown: (mode) => pgCtl(['-D', dataDir, '-m', mode, '-w', '-t', '120', 'stop']),
    startAgain: () => pgCtl(startArgs),
    restart: (mode) =>
      pgCtl([
        '-D',
        dataDir,
        '-o',
        serverOptions,
        '-l',
        join(baseDir, 'server.log'),
        '-m',
        mode,
        '-w',
        '-t',
        '120',
        'restart',
      ]),
    async stop() {
      stopPgCluster(dataDir, binDir);
    },
  };
}
