/**
 * Telling an outage from a broken release. When the app's health or checks fail, the first
 * question is whether PostgreSQL answers at all: if it does not, the failure says so ("waiting for
 * PostgreSQL at host:port") and is retryable, so a rollback's undo waits the outage out
 * (rollback.retryFor) instead of ending `rollback-failed`; a release that fails while PostgreSQL
 * answers fails for real, at once.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { DbTarget } from '../commands/pg.js';
import type { TargetConfig } from '../config/schema.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import type { StepName } from '../shared/steps.js';
import { resolveDatabase, type ActivityDeps } from './deps.js';
import { withClient } from './pgClient.js';

/** Why PostgreSQL does not answer a `SELECT 1`, or undefined when it does. */
export async function databaseDown(db: DbTarget): Promise<string | undefined> {
  try {
    await withClient(db, (c) => c.query('SELECT 1'));
    return undefined;
  } catch (e) {
    return (e as Error).message || String(e);
  }
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
 * Runs a step's work; when it fails (a check, the health, a query) and PostgreSQL does not answer,
 * the failure becomes a retryable DatabaseUnreachable that says so. A cancellation and an
 * already retryable failure pass through as they are.
 */
export async function outageAware<T>(db: DbTarget | undefined, step: StepName, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (!db || e instanceof CancelledFailure || (e instanceof ApplicationFailure && !e.nonRetryable)) throw e;
    const why = await databaseDown(db);
    throw why ? waitingForDatabase(db, step, why, (e as Error).message) : e;
  }
}

/** The target's database, when its URL can be read (else no outage can be told). */
export function databaseOf(deps: ActivityDeps, t: Pick<TargetConfig, 'database' | 'envFile'>, step: StepName): DbTarget | undefined {
  try {
    return resolveDatabase(deps, t, step).db;
  } catch {
    return undefined;
  }
}
