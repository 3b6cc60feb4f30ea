import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
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

type Proxy = typeof quick;
type Name = Exclude<keyof Activities, symbol>;

/**
 * Calls an activity with a human summary ("Back up farm-chat production database"), which the
 * Web UI shows on the activity in the event history.
 */
export function call<K extends Name>(
  proxy: Proxy,
  name: K,
  summary: string,
  ...args: Parameters<Activities[K]>
): Promise<Awaited<ReturnType<Activities[K]>>> {
  const fn = proxy[name] as unknown as {
    executeWithOptions(o: { summary: string }, a: unknown[]): Promise<Awaited<ReturnType<Activities[K]>>>;
  };
  return fn.executeWithOptions({ summary }, args);
}
