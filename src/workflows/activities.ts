import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';

/** Checks and reads: quick, retried a few times. */
export const quick = proxyActivities<Activities>({
  startToCloseTimeout: '3 minutes',
  retry: { maximumAttempts: 3, initialInterval: '1 second' },
});

/**
 * Steps that change things or run long (dump, restore, npm ci, migrate, restart, verify):
 * a heartbeat timeout notices a dead worker long before the start-to-close timeout, and the
 * workflow waits for a cancelled activity to stop its child process before rolling back.
 */
export const changing = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  retry: { maximumAttempts: 3, initialInterval: '2 seconds', backoffCoefficient: 2 },
});
