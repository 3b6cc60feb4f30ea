/**
 * Whole-database operations, run from a connection to the maintenance database: names, doors
 * (ALLOW_CONNECTIONS), session ends, renames, template copies and the labels safe-deploy leaves
 * on the databases it creates.
 */
import type pg from 'pg';
import { quoteIdent, sha256 } from './dbState.js';

/** Scratch, kept-aside and snapshot names derive from the deployment id, so a retry finds its own work. */
export function backupNames(database: string, deploymentId: string) {
  const tag = sha256(deploymentId).slice(0, 8);
  const base = database.slice(0, 40);
  return { scratch: `${base}_sd_${tag}_restore`, keptAs: `${base}_sd_${tag}_failed`, snapshot: `${base}_sd_${tag}_snap` };
}

/** The databases safe-deploy may prune for `database`: what backupNames makes, nothing else. */
export const isBackupName = (database: string, name: string) =>
  name !== database && new RegExp(`^${escapeRegExp(database.slice(0, 40))}_sd_[0-9a-f]{8}_(snap|failed)$`).test(name);
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export const quoteLiteral = (s: string) => "'" + s.replaceAll("'", "''") + "'";

export interface DatabaseRow {
  oid: number;
  /**
   * The transaction that last rewrote the database's pg_database row. ALTER DATABASE (opening,
   * closing, renaming) writes a new row version, so an unchanged xmin on a closed database means
   * nobody opened it since.
   */
  xmin: string;
  allowConnections: boolean;
}

export async function databaseRow(c: pg.ClientBase, name: string): Promise<DatabaseRow | undefined> {
  const { rows } = await c.query<{ oid: string; xmin: string; datallowconn: boolean }>('SELECT oid::int8::text AS oid, xmin::text AS xmin, datallowconn FROM pg_database WHERE datname = $1', [name]);
  const r = rows[0];
  return r ? { oid: Number(r.oid), xmin: r.xmin, allowConnections: r.datallowconn } : undefined;
}

export async function databaseSize(c: pg.ClientBase, name: string): Promise<number> {
  const { rows } = await c.query<{ size: string }>('SELECT pg_database_size($1::name)::text AS size', [name]);
  return Number(rows[0]!.size);
}

export async function allowConnections(c: pg.ClientBase, name: string, allow: boolean): Promise<void> {
  await c.query(`ALTER DATABASE ${quoteIdent(name)} WITH ALLOW_CONNECTIONS ${allow}`);
}

/**
 * Ends the client sessions on `name` this role may end (its own roles' sessions; others' with
 * pg_signal_backend, never a superuser's). Throws at once, as "object in use", when sessions it
 * may not end are there: waiting for them would only keep the door closed longer. Autovacuum
 * workers are left alone: PostgreSQL itself stops them for a template copy or a rename (and they
 * run as the bootstrap superuser, whom the role may not signal; seen on a freshly restored copy).
 */
export async function endSessions(c: pg.ClientBase, name: string): Promise<number> {
  // Autovacuum workers have no usesysid (the join leaves them out); other roles' sessions show
  // their usesysid but not their backend_type to an unprivileged role.
  const sessions = `FROM pg_stat_activity a JOIN pg_roles r ON r.oid = a.usesysid
      WHERE a.datname = $1 AND a.pid <> pg_backend_pid()`;
  const { rows } = await c.query<{ role: string; mayEnd: boolean }>(
    `SELECT a.usename AS role, NOT r.rolsuper AND (pg_has_role(a.usesysid, 'MEMBER') OR pg_has_role('pg_signal_backend', 'MEMBER')) AS "mayEnd" ${sessions}`, [name]);
  const others = [...new Set(rows.filter((r) => !r.mayEnd).map((r) => r.role))];
  if (others.length > 0) {
    throw Object.assign(new Error(`sessions of ${others.join(', ')} are connected to ${name}, and this role may not end them`), { code: OBJECT_IN_USE });
  }
  if (rows.length > 0) await c.query(`SELECT pg_terminate_backend(a.pid) ${sessions}`, [name]);
  return rows.length;
}

const OBJECT_IN_USE = '55006';

/**
 * Runs `fn`, which needs `name` to have no sessions (a rename, a template copy), with the door
 * closed: no new session can start, the open ones are ended, and `fn` is retried while ended
 * sessions linger (PostgreSQL itself waits up to 5 s for them at each try). Afterwards the door
 * of `reopen(succeeded)` is opened again: the same database, the name it now has, or none.
 */
export async function withDoorClosed<T>(c: pg.ClientBase, name: string, fn: () => Promise<T>, reopen: (succeeded: boolean) => string | undefined = () => name): Promise<T> {
  await allowConnections(c, name, false);
  let succeeded = false;
  try {
    for (let attempt = 1; ; attempt++) {
      await endSessions(c, name); // throws when sessions the role may not end are there
      try {
        const result = await fn();
        succeeded = true;
        return result;
      } catch (e) {
        if ((e as { code?: string }).code !== OBJECT_IN_USE || attempt >= 6) throw e;
      }
    }
  } finally {
    const open = reopen(succeeded);
    if (open) await allowConnections(c, open, true);
  }
}

/**
 * Puts `incoming` in production's place: production (if there is one) is closed, emptied and
 * renamed to `keptAs` (then reopened there for inspection), `incoming` takes its name and is
 * opened. Returns how long production's name led nowhere: the app's outage.
 */
export async function swapIn(c: pg.ClientBase, o: { production: string; incoming: string; keptAs: string }): Promise<{ closedMs: number }> {
  const started = Date.now();
  if (await databaseRow(c, o.production)) {
    await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(o.keptAs)} WITH (FORCE)`);
    await withDoorClosed(c, o.production, () => c.query(`ALTER DATABASE ${quoteIdent(o.production)} RENAME TO ${quoteIdent(o.keptAs)}`), (ok) => (ok ? o.keptAs : o.production));
  }
  // A sealed snapshot is closed already; a scratch database may have a visitor: close and empty it too.
  await withDoorClosed(c, o.incoming, () => c.query(`ALTER DATABASE ${quoteIdent(o.incoming)} RENAME TO ${quoteIdent(o.production)}`), (ok) => (ok ? o.production : undefined));
  return { closedMs: Date.now() - started };
}

/** What safe-deploy wrote on a database it made: found again by pruning, read by people (`\l+`). */
export interface BackupLabel {
  kind: 'snapshot' | 'kept-aside';
  app: string;
  environment: string;
  deploymentId: string;
  /** The production database it is a copy of, or was. */
  of: string;
  createdAt: string;
}

const LABEL_PREFIX = 'safe-deploy ';

export async function labelDatabase(c: pg.ClientBase, name: string, label: BackupLabel | null): Promise<void> {
  await c.query(`COMMENT ON DATABASE ${quoteIdent(name)} IS ${label ? quoteLiteral(LABEL_PREFIX + JSON.stringify(label)) : 'NULL'}`);
}

export async function labelledDatabases(c: pg.ClientBase): Promise<{ name: string; label: BackupLabel }[]> {
  const { rows } = await c.query<{ name: string; description: string }>(
    `SELECT d.datname AS name, s.description FROM pg_database d
       JOIN pg_shdescription s ON s.objoid = d.oid AND s.classoid = 'pg_database'::regclass
      WHERE s.description LIKE $1`, [`${LABEL_PREFIX}%`]);
  return rows.flatMap((r) => {
    try {
      return [{ name: r.name, label: JSON.parse(r.description.slice(LABEL_PREFIX.length)) as BackupLabel }];
    } catch {
      return [];
    }
  });
}
