/**
 * Whole-database operations, run from a connection to the maintenance database: names, doors
 * (ALLOW_CONNECTIONS), session ends, renames, template copies and the labels safe-deploy leaves
 * on the databases it creates.
 */
import type pg from 'pg';
import { quoteIdent } from './state.js';
import { assertOurs, dropOwnDatabase, labelDatabase, type Owner } from './ownDatabases.js';

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
  const { rows } = await c.query<{ oid: string; xmin: string; datallowconn: boolean }>(
    'SELECT oid::int8::text AS oid, xmin::text AS xmin, datallowconn FROM pg_database WHERE datname = $1',
    [name],
  );
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
    `SELECT a.usename AS role, NOT r.rolsuper AND (pg_has_role(a.usesysid, 'MEMBER') OR ` +
      `pg_has_role('pg_signal_backend', 'MEMBER')) AS "mayEnd" ${sessions}`,
    [name],
  );
  const others = [...new Set(rows.filter((r) => !r.mayEnd).map((r) => r.role))];
  if (others.length > 0) {
    throw Object.assign(
      new Error(`sessions of ${others.join(', ')} are connected to ${name}, and this role may not end them`),
      { code: OBJECT_IN_USE },
    );
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
export async function withDoorClosed<T>(
  c: pg.ClientBase,
  name: string,
  fn: () => Promise<T>,
  reopen: (succeeded: boolean) => string | undefined = () => name,
): Promise<T> {
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
 * Puts `incoming` (a labelled snapshot or restore scratch) in production's place: production (if
 * there is one) is closed, emptied, renamed to `keptAs` and labelled kept-aside at once (then
 * reopened there for inspection); `incoming` takes its name, loses its label and is opened. Every
 * drop and rename goes through the guard. Returns how long production's name led nowhere.
 */
export async function swapIn(
  c: pg.ClientBase,
  owner: Owner,
  o: { incoming: string; keptAs: string; deploymentId: string },
): Promise<{ closedMs: number }> {
  const step = 'restore-database';
  const production = owner.production;
  // Before anything moves: the incoming database must be ours, the kept-aside name free for us.
  if (!(await assertOurs(c, owner, o.incoming, step, 'rename', ['snapshot', 'restore-scratch'])))
    throw new Error(`${o.incoming} does not exist`);
  const started = Date.now();
  if (await databaseRow(c, production)) {
    await dropOwnDatabase(c, owner, o.keptAs, step, ['kept-aside']);
    await withDoorClosed(
      c,
      production,
      () => c.query(`ALTER DATABASE ${quoteIdent(production)} RENAME TO ${quoteIdent(o.keptAs)}`),
      (ok) => (ok ? o.keptAs : production),
    );
    await labelDatabase(c, o.keptAs, {
      kind: 'kept-aside',
      name: o.keptAs,
      app: owner.app,
      environment: owner.environment,
      deploymentId: o.deploymentId,
      of: production,
      createdAt: new Date().toISOString(),
    });
  }
  // A sealed snapshot is closed already; a scratch database may have a visitor: close and empty it too.
  await withDoorClosed(
    c,
    o.incoming,
    () => c.query(`ALTER DATABASE ${quoteIdent(o.incoming)} RENAME TO ${quoteIdent(production)}`),
    (ok) => (ok ? production : undefined),
  );
  await labelDatabase(c, production, null); // production is no copy: the guard and pruning must never see it as one
  return { closedMs: Date.now() - started };
}
