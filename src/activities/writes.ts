import { durationMs } from '../shared/duration.js';
import type pg from 'pg';
import { appCommand } from '../commands/app.js';
import { withDatabase } from '../commands/pg.js';
import type { TargetConfig } from '../config/schema.js';
import { changedSince, snapshotXids, type WritePoint } from '../plan/lostWrites.js';
import { FailureType } from '../shared/errors.js';
import type { StepName } from '../shared/steps.js';
import { quoteIdent } from '../postgres/state.js';
import {
  activityAttempt,
  commandEnvValues,
  resolveDatabase,
  runInActivity,
  type ActivityDeps,
} from './activityDeps.js';
import { pauseRoleWrites, resumeRoleWrites, type DatabasePauseFacts } from '../postgres/databasePause.js';
import { commandFailure } from './commandFailure.js';
import { databaseOf, outageAware, outageWaitOf } from '../postgres/outage.js';
import { withClient } from '../postgres/pgClient.js';

/** Rows inserted + updated + deleted per table since the server's statistics began: a write odometer. */
export interface WriteCounters {
  at: string;
  tables: Record<string, number>;
}

/**
 * How long a reading that accounts for other people's writes waits first. A backend publishes its
 * counts when it goes idle, but at most once a second; what it holds back then is published only
 * after 10 s of idleness (PostgreSQL's PGSTAT_IDLE_INTERVAL). A user who writes a few rows and goes
 * quiet shows as one write for up to 10 s, so a shorter wait could miss the very writes a restore
 * would throw away.
 */
export const PUBLISHED_AFTER_MS = 11_000;

/** Reads the odometer after `settleMs`, so that writes that just finished show up first. */
export async function readWriteCounters(
  deps: ActivityDeps,
  t: TargetConfig,
  step: StepName,
  settleMs = 0,
): Promise<WriteCounters> {
  if (settleMs > 0) await new Promise((r) => setTimeout(r, settleMs));
  const { db } = resolveDatabase(deps, t, step);
  return withClient(db, async (c) => {
    const { rows } = await c.query<{ name: string; writes: string }>(
      `SELECT schemaname || '.' || relname AS name, (n_tup_ins + n_tup_upd + n_tup_del)::text AS writes ` +
        `FROM pg_stat_user_tables ORDER BY 1`,
    );
    return { at: new Date().toISOString(), tables: Object.fromEntries(rows.map((r) => [r.name, Number(r.writes)])) };
  });
}

/** What a later reading needs of a point: its snapshot and its rows per table. */
export type PointRef = Pick<WritePoint, 'snapshot' | 'rows'>;

/**
 * "This row version was not visible in the point's snapshot": its xmin is at or after the
 * snapshot's xmax, or one of the transactions in progress then. Wraparound-safe the way
 * `writtenBefore` is: both sides measured with age() from this transaction's xid horizon, so
 * 32-bit xids compare correctly while they are within 2^31 of each other — which every unfrozen
 * xmin is (PostgreSQL forces a freeze before that). The frozen-tuple limit: a frozen row keeps its
 * raw xmin, and once that is more than 2^31 transactions old its age() turns negative, so a
 * negative age is taken as "old" (visible); a frozen row whose raw xmin is over 2^32 transactions
 * old and happens to land among the transactions since the point counts as changed — an
 * over-count, never a miss (the rollback then asks a person).
 */
const notVisibleIn = `NOT (age(t.xmin) < 0 OR (age(t.xmin) > age($1::xid) AND t.xmin <> ALL ($2::xid[])))`;

/** Every user table (leaf tables: a partitioned table's rows are counted in its partitions), as schema.table. */
async function userTables(c: pg.ClientBase): Promise<{ name: string; sql: string }[]> {
  const { rows } = await c.query<{ schema: string; table: string }>(
    `SELECT n.nspname AS schema, c.relname AS table
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
      ORDER BY 1, 2`,
  );
  return rows.map((r) => ({ name: `${r.schema}.${r.table}`, sql: `${quoteIdent(r.schema)}.${quoteIdent(r.table)}` }));
}

/**
 * Reads a write point through `c`, exactly and without sleeping: in one REPEATABLE READ
 * transaction, every table is locked ACCESS SHARE before the snapshot is taken (so no TRUNCATE,
 * which is not MVCC-safe, can empty a table under the snapshot before it is counted), then the
 * snapshot, then `between` (the resume command: the snapshot is already the paused state, so the
 * pause ends at once), then every table's rows in that snapshot — and, given `since`, the row
 * versions `since` could not see, in the same scan.
 */
export async function readPoint(
  c: pg.ClientBase,
  since?: PointRef,
  between?: () => Promise<void>,
): Promise<WritePoint> {
  const started = Date.now();
  const locked = await userTables(c);
  await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  try {
    // LOCK takes no snapshot: the snapshot is the first query's, after the locks are held.
    if (locked.length > 0) await c.query(`LOCK TABLE ${locked.map((x) => x.sql).join(', ')} IN ACCESS SHARE MODE`);
    const { rows: snap } = await c.query<{ snapshot: string; at: string }>(
      `SELECT pg_current_snapshot()::text AS snapshot, now()::text AS at`,
    );
    const { snapshot } = snap[0]!;
    const at = new Date().toISOString();
    if (between) await between();
    const tables = await userTables(c); // in the snapshot: a table created just before it is counted too
    const xids = since ? snapshotXids(since.snapshot) : undefined;
    const rows: Record<string, number> = {};
    const fresh: Record<string, number> = {};
    for (const table of tables) {
      if (xids) {
        const { rows: r } = await c.query<{ rows: string; fresh: string }>(
          `SELECT count(*)::text AS rows, (count(*) FILTER (WHERE ${notVisibleIn}))::text AS fresh FROM ${table.sql} t`,
          [xids.xmax, `{${xids.xip.join(',')}}`],
        );
        rows[table.name] = Number(r[0]!.rows);
        fresh[table.name] = Number(r[0]!.fresh);
      } else {
        rows[table.name] = Number(
          (await c.query<{ rows: string }>(`SELECT count(*)::text AS rows FROM ${table.sql}`)).rows[0]!.rows,
        );
      }
    }
    await c.query('COMMIT');
    return {
      at,
      snapshot,
      rows,
      ...(since ? { changed: changedSince(since.rows, rows, fresh) } : {}),
      sleptMs: 0,
      readMs: Date.now() - started,
    };
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

export function createWriteActivities(deps: ActivityDeps) {
  const command = async (t: TargetConfig, argv: readonly string[], step: StepName, what: string) => {
    try {
      await runInActivity(
        appCommand(argv, {
          cwd: t.appDir,
          commandEnv: commandEnvValues(deps, t, step),
          timeoutMs: durationMs(t.commandTimeouts.restart),
        }),
        what,
      );
    } catch (e) {
      throw commandFailure(e, {
        step,
        type: FailureType.WritesControlFailed,
        what: `the ${what} command failed (${argv.join(' ')})`,
        remedy: `check the command in writes.${what} and run it by hand`,
        retryable: true,
      });
    }
  };
  /** stopAt 'database': the role of writes.role, else the database URL's user. */
  const pausedRole = (t: TargetConfig, step: StepName) => {
    const { db } = resolveDatabase(deps, t, step);
    return { db, role: t.writes.role ?? db.user };
  };
  /**
   * Before a snapshot's pause, PostgreSQL's own CHECKPOINT, while the app still writes: the one
   * CREATE DATABASE … TEMPLATE takes first, inside the pause, then finds little left to write (the
   * bench's 1 GB deployment closed production 5.3 s for its copy, the same copy alone 0.5 s: the
   * difference was the dirty buffers written out). An optimisation only: without the privilege
   * (superuser or pg_checkpoint) or on any PostgreSQL error, the pause goes on as before.
   */
  const flushBeforePause = async (t: TargetConfig, step: StepName): Promise<number | undefined> => {
    if (t.backup?.method !== 'snapshot') return undefined; // a partial target (tests) has no backup
    const started = Date.now();
    const { db } = resolveDatabase(deps, t, step);
    try {
      await withClient(withDatabase(db, t.database.maintenanceDatabase), (c) => c.query('CHECKPOINT'));
      return Date.now() - started;
    } catch (e) {
      if (typeof (e as { code?: unknown }).code === 'string' && /^[0-9A-Z]{5}$/.test((e as { code: string }).code))
        return undefined; // a PostgreSQL error (42501: not allowed): the pause's own checkpoint does the work
      throw e;
    }
  };
  /** Pauses (policy `stop`): the app's `stop` command, or its role read-only at the database. */
  const pause = async (t: TargetConfig, step: StepName): Promise<DatabasePauseFacts | undefined> => {
    if (t.writes.stopAt !== 'database') {
      await command(t, t.writes.stop!, step, 'stop');
      return undefined;
    }
    const { db, role } = pausedRole(t, step);
    return pauseRoleWrites(db, role, step);
  };
  /** Resumes (policy `stop`); `keep`: our own sessions a database resume must not end. */
  const resume = async (
    t: TargetConfig,
    step: StepName,
    keep: readonly number[] = [],
  ): Promise<DatabasePauseFacts | undefined> => {
    if (t.writes.stopAt !== 'database') {
      await command(t, t.writes.resume!, step, 'resume');
      return undefined;
    }
    const { db, role } = pausedRole(t, step);
    return resumeRoleWrites(db, role, step, keep);
  };
  return {
    /**
     * Pauses the app's writes (policy `stop`): from here until verification, a restore loses nothing. Idempotent.
     * Under `detect` the counters are the baseline of other people's writes: every write made
     * before it must be published, or it would later pass for one made after the backup.
     */
    async stopWrites({ target: t, step, exact }: { target: TargetConfig; step: StepName; exact?: boolean }): Promise<{
      stopped: boolean;
      at?: string;
      counters?: WriteCounters;
      point?: WritePoint;
      database?: DatabasePauseFacts;
      /** How long the CHECKPOINT before the pause took; absent when none ran (flushBeforePause). */
      flushedMs?: number;
    }> {
      return outageAware(
        databaseOf(deps, t, step),
        step,
        async () => {
          const flushedMs = t.writes.policy === 'stop' ? await flushBeforePause(t, step) : undefined;
          // Writes are paused from here (the report's stoppedAt): the flush above kept them flowing.
          const pausingAt = new Date().toISOString();
          const database = t.writes.policy === 'stop' ? await pause(t, step) : undefined;
          const facts = { ...(database ? { database } : {}), ...(flushedMs !== undefined ? { flushedMs } : {}) };
          // `exact`: under `detect` the baseline is a write point; under
          // `stop` nothing is read (nobody else writes until writes resume).
          if (exact)
            return {
              ...facts,
              stopped: t.writes.policy === 'stop',
              at: t.writes.policy === 'stop' ? pausingAt : new Date().toISOString(),
              ...(t.writes.policy === 'detect'
                ? { point: await withClient(resolveDatabase(deps, t, step).db, (c) => readPoint(c)) }
                : {}),
            };
          // Under `stop` these counters are not used (nobody else writes until writes resume).
          return {
            ...facts,
            stopped: t.writes.policy === 'stop',
            counters: await readWriteCounters(deps, t, step, t.writes.policy === 'stop' ? 0 : PUBLISHED_AFTER_MS),
          };
        },
        { waitMs: outageWaitOf(t) },
      );
    },

    /**
     * Lets the app write again. Idempotent. The workflow reads the odometer before (countWrites,
     * while writes are still paused): writes after that reading are other people's.
     */
    async resumeWrites({
      target: t,
      step,
      readPoint: point,
    }: {
      target: TargetConfig;
      step: StepName;
      readPoint?: boolean;
    }): Promise<{ resumed: boolean; point?: WritePoint; database?: DatabasePauseFacts }> {
      if (!point || t.writes.policy !== 'stop') {
        const database = t.writes.policy === 'stop' ? await resume(t, step) : undefined;
        return { resumed: t.writes.policy === 'stop', ...(database ? { database } : {}) };
      }
      // The point is the paused state: its snapshot is taken before the resume command runs, its
      // rows counted after, in the same snapshot. An earlier attempt may have run the resume
      // command and died before its point was returned: writes made since then are not in this
      // point's "since", and the point says so (a rollback then asks before restoring).
      const attempt = activityAttempt();
      let database: DatabasePauseFacts | undefined;
      const read = await outageAware(
        databaseOf(deps, t, step),
        step,
        () =>
          withClient(resolveDatabase(deps, t, step).db, async (c) => {
            // The reading session is ours and may be the role's: a database resume must not end it.
            const ours = (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
            return readPoint(c, undefined, async () => {
              database = await resume(t, step, [ours]);
            });
          }),
        { waitMs: outageWaitOf(t) },
      );
      return {
        ...(database ? { database } : {}),
        resumed: true,
        point:
          attempt > 1
            ? {
                ...read,
                uncertain:
                  `read by attempt ${attempt} of resume-writes: an earlier attempt may have let writes in ` +
                  `before its point was recorded`,
              }
            : read,
      };
    },

    /** A write point, and given `since`, the rows changed since that point. Never sleeps. */
    async readWritePoint({
      target: t,
      step,
      since,
    }: {
      target: TargetConfig;
      step: StepName;
      since?: PointRef;
    }): Promise<WritePoint> {
      return outageAware(
        databaseOf(deps, t, step),
        step,
        () => withClient(resolveDatabase(deps, t, step).db, (c) => readPoint(c, since)),
        { waitMs: outageWaitOf(t) },
      );
    },

    /** The odometer once every finished write is published (`settleMs`, default PUBLISHED_AFTER_MS). */
    async countWrites({
      target: t,
      step,
      settleMs,
    }: {
      target: TargetConfig;
      step: StepName;
      settleMs?: number;
    }): Promise<WriteCounters> {
      return outageAware(
        databaseOf(deps, t, step),
        step,
        () => readWriteCounters(deps, t, step, settleMs ?? PUBLISHED_AFTER_MS),
        { waitMs: outageWaitOf(t) },
      );
    },
  };
}
