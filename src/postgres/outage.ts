/**
 * PostgreSQL outages: waited out, and told from a broken release. Every step that needs
 * PostgreSQL first waits for it to answer (`database.outageWait`, its details saying "waiting for
 * PostgreSQL at host:port"). When the step's work then fails and PostgreSQL does not answer, or
 * answers from a server that started since the step began (it was restarted or crashed under the
 * step), the failure says so and is retryable: the retry waits for PostgreSQL again and redoes
 * the work (every step is idempotent), a rollback's undo keeps trying for `rollback.retryFor`.
 * A step that fails while the same server answers fails for real, at once.
 */
import { durationMs } from '../shared/duration.js';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { DbTarget } from '../commands/pg.js';
import type { TargetConfig } from '../config/schema.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import type { StepName } from '../shared/steps.js';
import { activitySleep, heartbeat, resolveDatabase, type ActivityDeps } from '../activities/activityDeps.js';
import { withClient } from './pgClient.js';

/** `database.outageWait` when a target loaded before it existed does not say. */
export const DEFAULT_OUTAGE_WAIT_MS = 5 * 60_000;
/** How often a waiting step asks PostgreSQL again. */
const POLL_MS = 2_000;

/**
 * PostgreSQL answering (and since when its server runs, when that could be read), or why it does
 * not. A server that answers with an error of its own (the database does not exist, is closed to
 * connections, the password is wrong) is up: that is not an outage, and waiting would not end it.
 */
export type DatabaseProbe = { up: true; startedAt?: string } | { up: false; why: string };

/**
 * SQLSTATEs of a server that is not there for us yet: connection
 * exceptions, shutting down or starting up, out of connections.
 */
const NOT_ANSWERING = /^(08|57P0[123]|53)/;

/** One connection and `SELECT pg_postmaster_start_time()`. */
export async function probeDatabase(db: DbTarget): Promise<DatabaseProbe> {
  try {
    const { rows } = await withClient(db, (c) =>
      c.query<{ started: string }>('SELECT pg_postmaster_start_time()::text AS started'),
    );
    return { up: true, startedAt: rows[0]!.started };
  } catch (e) {
    if (e instanceof CancelledFailure) throw e;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && !NOT_ANSWERING.test(code)) return { up: true };
    return { up: false, why: (e as Error).message || String(e) };
  }
}

/** Why PostgreSQL does not answer a query, or undefined when it does. */
export async function databaseDown(db: DbTarget): Promise<string | undefined> {
  const p = await probeDatabase(db);
  return p.up ? undefined : p.why;
}

export function waitingForDatabase(db: DbTarget, step: StepName, why: string, what: string): ApplicationFailure {
  return deployFailure(FailureType.DatabaseUnreachable, {
    step,
    what: `waiting for PostgreSQL at ${db.host}:${db.port} (${why}): ${what}`,
    remedy: 'start PostgreSQL; the step is retried (a rollback waits up to rollback.retryFor)',
    retryable: true,
  });
}

/**
 * Waits until PostgreSQL answers, heartbeating where it waits, for at most `waitMs`; returns when
 * its server started. Still no answer: a retryable DatabaseUnreachable (the activity's retries,
 * or the rollback's, decide what comes next). A cancellation ends the wait at once.
 */
export async function waitForDatabase(db: DbTarget, step: StepName, waitMs: number): Promise<string | undefined> {
  const since = Date.now();
  for (;;) {
    const p = await probeDatabase(db);
    if (p.up) return p.startedAt;
    const waited = Date.now() - since;
    if (waited >= waitMs)
      throw waitingForDatabase(db, step, p.why, `no answer for ${Math.round(waited / 1000)} s (database.outageWait)`);
    heartbeat({
      phase: `waiting for PostgreSQL at ${db.host}:${db.port}`,
      since: new Date(since).toISOString(),
      last: p.why,
    });
    await activitySleep(Math.min(POLL_MS, waitMs - waited));
  }
}

/**
 * What a failure of a step's work means, given PostgreSQL's state before (`startedAt`, when it
 * answered) and after: an outage (down now, or another server start since), or the failure itself.
 */
export function outageOf(before: string | undefined, after: DatabaseProbe): { why: string } | undefined {
  if (!after.up) return { why: after.why };
  if (before !== undefined && after.startedAt !== undefined && after.startedAt !== before)
    return { why: `its server restarted while the step ran: started ${before}, now ${after.startedAt}` };
  return undefined;
}

/**
 * Runs a step's work once PostgreSQL answers (waiting up to `o.waitMs`; without it, only noting
 * when its server started), and turns a failure during an outage into a retryable
 * DatabaseUnreachable that says so. A cancellation and an already retryable failure pass through.
 */
export async function outageAware<T>(
  db: DbTarget | undefined,
  step: StepName,
  work: () => Promise<T>,
  o: { waitMs?: number } = {},
): Promise<T> {
  let before: string | undefined;
  if (db && o.waitMs !== undefined) before = await waitForDatabase(db, step, o.waitMs);
  else if (db) before = await probeDatabase(db).then((p) => (p.up ? p.startedAt : undefined));
  try {
    return await work();
  } catch (e) {
    if (!db || e instanceof CancelledFailure || (e instanceof ApplicationFailure && !e.nonRetryable)) throw e;
    const outage = outageOf(before, await probeDatabase(db));
    throw outage ? waitingForDatabase(db, step, outage.why, (e as Error).message) : e;
  }
}

/** The target's database, when its URL can be read (else no outage can be told). */
export function databaseOf(
  deps: ActivityDeps,
  t: Pick<TargetConfig, 'database' | 'envFile'>,
  step: StepName,
): DbTarget | undefined {
  try {
    return resolveDatabase(deps, t, step).db;
  } catch {
    return undefined;
  }
}

/** How long the target's steps wait for PostgreSQL (`database.outageWait`). */
export const outageWaitOf = (t: Pick<TargetConfig, 'database'>): number =>
  t.database.outageWait === undefined ? DEFAULT_OUTAGE_WAIT_MS : durationMs(t.database.outageWait);
