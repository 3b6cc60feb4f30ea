import type { ActivityFunction } from '@temporalio/common';
import { ActivityCancellationType, proxyActivities, type ActivityFunctionWithOptions } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { compensationRetry } from '../plan/compensationPolicy.js';

/** Checks and reads: quick, retried a few times. */
export const quick = proxyActivities<Activities>({
  startToCloseTimeout: '3 minutes',
  retry: { maximumAttempts: 3, initialInterval: '1 second' },
});

const CHANGING = {
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '20 seconds',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
} as const;

/**
 * Steps that change things or run long (dump, restore, npm ci, migrate, restart, verify):
 * a heartbeat timeout notices a dead worker long before the start-to-close timeout, and the
 * workflow waits for a cancelled activity to stop its child process before rolling back.
 * Forward steps retry briefly (3 attempts): a step that keeps failing is rolled back.
 */
export const changing = proxyActivities<Activities>({
  ...CHANGING,
  retry: { maximumAttempts: 3, initialInterval: '2 seconds', backoffCoefficient: 2 },
});

/**
 * The undos: the same, but retried for `rollback.retryFor` (default 10 minutes) before they are
 * given up, so that an outage (PostgreSQL restarting, the network) is waited out instead of
 * ending `rollback-failed`. Each attempt's failure says what it waits for ("PostgreSQL at …").
 */
export const undoing = (retryForMs: number) =>
  proxyActivities<Activities>({ ...CHANGING, retry: compensationRetry(retryForMs) });

/** One of a proxy's activities: its name, timeouts and retries. */
type Activity<F extends ActivityFunction> = ActivityFunctionWithOptions<F>;

/** Where an activity runs: a host's worker (its task queue), or the workflow's own (no task queue). */
export interface Worker {
  taskQueue?: string;
}

/** The worker that runs this workflow: the one host of a single-host deployment, and workflow-wide steps. */
export const THIS_WORKER: Worker = {};

/**
 * Calls an activity (`changing.backupDatabase`) on `worker` with a human summary ("Back up
 * farm-chat production database"), which the Web UI shows on the activity in the event history.
 */
export function call<F extends ActivityFunction>(
  worker: Worker,
  activity: Activity<F>,
  summary: string,
  ...args: Parameters<F>
): Promise<Awaited<ReturnType<F>>> {
  return activity.executeWithOptions({ summary, ...(worker.taskQueue ? { taskQueue: worker.taskQueue } : {}) }, args);
}
