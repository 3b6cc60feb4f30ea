import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  CancellationScope,
  ChildWorkflowCancellationType,
  condition,
  defineSignal,
  setHandler,
  startChild,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';

/** Ends the lock workflow: the deployment that holds it is done. */
export const releaseLockSignal = defineSignal('release');

/**
 * `deploy-lock-<app>.<environment>`: a dot is in neither slug, so app `farm` + environment
 * `chat-production` and app `farm-chat` + environment `production` have two locks.
 */
export const lockWorkflowId = (app: string, environment: string) => `deploy-lock-${app}.${environment}`;

/**
 * One per app+environment while a deployment runs (the workflow id is the lock). Started as a
 * child, so Temporal ends it when its deployment ends however it ends (parent close policy
 * TERMINATE). It is started in a non-cancellable scope, so cancelling the deployment does not
 * reach it before the rollback is done; a person cancelling the lock itself frees it.
 */
export async function deploymentLock(): Promise<void> {
  let released = false;
  setHandler(releaseLockSignal, () => {
    released = true;
  });
  await condition(() => released);
}

/** Takes the lock, or says it is held. */
export async function acquireDeploymentLock(
  app: string,
  environment: string,
): Promise<ChildWorkflowHandle<typeof deploymentLock> | 'held'> {
  try {
    // Not cancellable: the lock must outlive a cancellation until the rollback is done.
    return await CancellationScope.nonCancellable(() =>
      startChild(deploymentLock, {
        workflowId: lockWorkflowId(app, environment),
        cancellationType: ChildWorkflowCancellationType.ABANDON,
        staticSummary: `Lock: one deployment of ${app} ${environment} at a time`,
      }),
    );
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'held';
    throw err;
  }
}

export async function releaseDeploymentLock(
  lock: ChildWorkflowHandle<typeof deploymentLock> | undefined,
): Promise<void> {
  if (!lock) return;
  await CancellationScope.nonCancellable(async () => {
    try {
      await lock.signal(releaseLockSignal);
      await lock.result();
    } catch {
      // Already gone: a person cancelled or terminated the lock (or a later deployment ended it as stale).
    }
  });
}
