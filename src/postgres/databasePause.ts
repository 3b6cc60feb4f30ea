import type pg from 'pg';
import type { DbTarget } from '../commands/pg.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import type { StepName } from '../shared/steps.js';
import { quoteIdent } from './state.js';
import { withClient } from './pgClient.js';

/**
 * Writes paused at the database (writes.stopAt 'database'): the app's role gets
 * `default_transaction_read_only` in the app's database, and its sessions are ended so that its
 * pools reconnect read-only. The setting's own spelling is the marker of what we did and what was
 * there before: it is written in the same statement as the setting (nothing can tell a different
 * story), survives a killed worker, and every host's worker reads it. A person writes `on` or
 * `off`, never these. A retry, a second host or a rollback's pause again finds them and knows.
 */
export const DATABASE_PAUSE_MARKS = {
  /** Paused by us; no setting of the role in this database before. */
  pausedOverUnset: 'oN',
  /** Paused by us over the role's own `off` (any false spelling) in this database. */
  pausedOverOff: 'tRuE',
  /** Resuming: new sessions are writable, those of the pause not yet ended; then RESET. */
  resumingToUnset: 'oFf',
  /** Resuming: as above, then back to the role's own `off`. */
  resumingToOff: 'fAlSe',
} as const;
const M = DATABASE_PAUSE_MARKS;

export interface DatabasePauseFacts {
  role: string;
  database: string;
  /** What the role's setting in this database was before this call, as stored (absent: none). */
  settingBefore?: string;
  /** What this call did to it. */
  action:
    'paused' | 'already paused' | 'already read-only by its own setting' | 'resumed' | 'not paused by safe-deploy';
  /** Sessions of the role ended (pools reconnect with the new default). */
  sessionsEnded: number;
}

/** PostgreSQL's parse_bool: true, false, or not a boolean. */
function boolOf(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (['on', '1'].includes(v) || (v.length > 0 && ('true'.startsWith(v) || 'yes'.startsWith(v)))) return true;
  if (['off', 'of', '0'].includes(v) || (v.length > 0 && ('false'.startsWith(v) || 'no'.startsWith(v)))) return false;
  return undefined;
}

interface RoleSetting {
  roleOid: number;
  databaseOid: number;
  /** The stored value of default_transaction_read_only for this role in this database, if any. */
  value?: string;
}

async function readSetting(c: pg.ClientBase, role: string, step: StepName): Promise<RoleSetting> {
  const { rows } = await c.query<{ role_oid: number; db_oid: number; config: string[] | null }>(
    `SELECT r.oid::int AS role_oid, d.oid::int AS db_oid,
            (SELECT s.setconfig FROM pg_db_role_setting s WHERE s.setrole = r.oid AND s.setdatabase = d.oid) AS config
       FROM pg_roles r, pg_database d
      WHERE r.rolname = $1 AND d.datname = current_database()`,
    [role],
  );
  const row = rows[0];
  if (!row)
    throw deployFailure(FailureType.InvalidConfig, {
      step,
      what: `writes.stopAt 'database': the role ${JSON.stringify(role)} does not exist on the database server`,
      remedy: "set writes.role to the role the app connects as (the user of its DATABASE_URL), or use stopAt 'app'",
      retryable: false,
    });
  const prefix = 'default_transaction_read_only=';
  const entry = (row.config ?? []).find((e) => e.startsWith(prefix));
  return {
    roleOid: row.role_oid,
    databaseOid: row.db_oid,
    ...(entry === undefined ? {} : { value: entry.slice(prefix.length) }),
  };
}

/** `ALTER ROLE … IN DATABASE current SET/RESET`: only our constants and `off` as values, names quoted. */
async function setSetting(
  c: pg.ClientBase,
  role: string,
  database: string,
  value: string | undefined,
  step: StepName,
): Promise<void> {
  const to =
    value === undefined ? 'RESET default_transaction_read_only' : `SET default_transaction_read_only = '${value}'`;
  try {
    await c.query(`ALTER ROLE ${quoteIdent(role)} IN DATABASE ${quoteIdent(database)} ${to}`);
  } catch (e) {
    if ((e as { code?: string }).code !== '42501') throw e;
    throw deployFailure(FailureType.WritesControlFailed, {
      step,
      what:
        `writes.stopAt 'database': safe-deploy's role may not change the defaults of role ` +
        `${JSON.stringify(role)} (${(e as Error).message})`,
      remedy:
        'connect safe-deploy as that role itself, or as a role with CREATEROLE (a superuser for a superuser ' +
        "role); or use stopAt 'app'",
      retryable: false,
    });
  }
}

const ROUND_PAUSE_MS = 250;
const MAX_ROUNDS = 40;

/**
 * Ends every session of the role in this database that started before `since` or holds a write
 * transaction (an xid), except `keep` (ours), until a round a quarter of a second after the last
 * one finds none: then no transaction of the role that began under the old default can commit,
 * and every session left started with the new one. A backend reads the role's defaults after it
 * starts, so `backend_start` ≥ `since` (the setting already committed) means the new default.
 */
async function endSessions(
  c: pg.ClientBase,
  s: RoleSetting,
  since: string,
  keep: readonly number[],
  role: string,
  step: StepName,
  /** Pausing: a session in a write transaction is ended too, whenever it started. */
  writers: boolean,
): Promise<number> {
  let ended = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const { rows } = await c.query<{ pid: number }>(
      `SELECT pid, pg_terminate_backend(pid, 5000) AS ended FROM pg_stat_activity
        WHERE usesysid = $1 AND datid = $2 AND pid <> pg_backend_pid() AND pid <> ALL ($3::int[])
          AND (backend_start < $4::timestamptz ${writers ? 'OR backend_xid IS NOT NULL' : ''})`,
      [s.roleOid, s.databaseOid, `{${keep.join(',')}}`, since],
    );
    if (rows.length === 0 && round > 0) return ended;
    ended += rows.length;
    await new Promise((r) => setTimeout(r, ROUND_PAUSE_MS));
  }
  throw deployFailure(FailureType.WritesControlFailed, {
    step,
    what:
      `writes.stopAt 'database': sessions of role ${JSON.stringify(role)} still held write transactions after ` +
      `${MAX_ROUNDS} rounds of ending them (does the app set its own transaction mode, e.g. SET ` +
      `default_transaction_read_only = off?)`,
    remedy:
      'find them in pg_stat_activity (backend_xid IS NOT NULL); such an app cannot be paused at the ' +
      "database: use stopAt 'app'",
    retryable: true,
  });
}

const nowText = async (c: pg.ClientBase) =>
  (await c.query<{ now: string }>('SELECT clock_timestamp()::text AS now')).rows[0]!.now;

/**
 * Pauses the role's writes in `db`'s database. Idempotent: our mark found means paused already
 * (a retry, another host, a rollback's pause again); the sessions are ended again all the same.
 */
export function pauseRoleWrites(db: DbTarget, role: string, step: StepName): Promise<DatabasePauseFacts> {
  return withClient(db, async (c) => {
    const s = await readSetting(c, role, step);
    let action: DatabasePauseFacts['action'];
    if (s.value === M.pausedOverUnset || s.value === M.pausedOverOff) action = 'already paused';
    else if (s.value === M.resumingToUnset || s.value === M.resumingToOff) {
      await setSetting(c, role, db.database, s.value === M.resumingToUnset ? M.pausedOverUnset : M.pausedOverOff, step);
      action = 'paused';
    } else if (s.value !== undefined && boolOf(s.value) === true) action = 'already read-only by its own setting';
    else {
      await setSetting(c, role, db.database, s.value === undefined ? M.pausedOverUnset : M.pausedOverOff, step);
      action = 'paused';
    }
    const since = await nowText(c); // after the setting committed (autocommit)
    const sessionsEnded = await endSessions(c, s, since, [], role, step, true);
    return {
      role,
      database: db.database,
      ...(s.value === undefined ? {} : { settingBefore: s.value }),
      action,
      sessionsEnded,
    };
  });
}

/**
 * Lets the role write again, only if the setting is our mark: first a `resuming` mark (new
 * sessions writable), then the pause's read-only sessions ended, then the role's own setting back
 * (none, or `off`). A worker killed between finds the `resuming` mark and finishes. `keep`: our
 * own sessions that must survive (the write point's reading).
 */
export function resumeRoleWrites(
  db: DbTarget,
  role: string,
  step: StepName,
  keep: readonly number[] = [],
): Promise<DatabasePauseFacts> {
  return withClient(db, async (c) => {
    const s = await readSetting(c, role, step);
    const facts = { role, database: db.database, ...(s.value === undefined ? {} : { settingBefore: s.value }) };
    let resuming: string | undefined;
    if (s.value === M.pausedOverUnset) resuming = M.resumingToUnset;
    else if (s.value === M.pausedOverOff) resuming = M.resumingToOff;
    else if (s.value === M.resumingToUnset || s.value === M.resumingToOff) resuming = s.value;
    if (!resuming) return { ...facts, action: 'not paused by safe-deploy', sessionsEnded: 0 };
    if (resuming !== s.value) await setSetting(c, role, db.database, resuming, step);
    const since = await nowText(c);
    const sessionsEnded = await endSessions(c, s, since, keep, role, step, false);
    await setSetting(c, role, db.database, resuming === M.resumingToUnset ? undefined : 'off', step);
    return { ...facts, action: 'resumed', sessionsEnded };
  });
}
