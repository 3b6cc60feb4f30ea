import type { RollbackStep } from '../shared/steps.js';

/**
 * What each undo needs to have worked before it may run. When an undo fails (after its retries),
 * the rollback goes on with every undo that does not depend on it — writes are resumed and the
 * app restarted — and reports the failed one and those it blocked as left for people.
 */
export const UNDO_NEEDS: Record<RollbackStep, readonly RollbackStep[]> = {
  'stop-writes-again': [],
  // Counting what a restore would lose means nothing while people can still write.
  'check-lost-writes': ['stop-writes-again'],
  'approve-lost-writes': ['check-lost-writes'],
  'restore-database': ['stop-writes-again', 'check-lost-writes', 'approve-lost-writes'],
  // The previous code on a database that was not restored may not run on it.
  'reactivate-release': ['restore-database'],
  'reinstall-dependencies': ['reactivate-release'],
  // Whatever code is in place: an app that answers is better than none.
  'restart-previous': [],
  'verify-rollback': ['restore-database', 'reactivate-release', 'reinstall-dependencies', 'restart-previous'],
  'resume-writes-after-rollback': [],
};

/** Undo steps (of `done`) that `step` needs and that did not work: it must not run. */
export const blockedBy = (step: RollbackStep, notDone: ReadonlySet<RollbackStep>): RollbackStep[] =>
  UNDO_NEEDS[step].filter((s) => notDone.has(s));

export interface RetryShape {
  initialInterval: number;
  backoffCoefficient: number;
  maximumInterval: number;
  maximumAttempts: number;
}

/**
 * An undo's retries: every 2 s, doubling up to every 30 s, for at least `waitMs` of waiting in all
 * (a PostgreSQL restart, a network blip, a full disk being cleared), then it is given up.
 */
export function compensationRetry(waitMs: number): RetryShape {
  const shape = { initialInterval: 2_000, backoffCoefficient: 2, maximumInterval: 30_000 };
  let waited = 0;
  let attempts = 1;
  for (
    let interval = shape.initialInterval;
    waited < waitMs;
    interval = Math.min(interval * shape.backoffCoefficient, shape.maximumInterval)
  ) {
    waited += interval;
    attempts++;
  }
  return { ...shape, maximumAttempts: attempts };
}
