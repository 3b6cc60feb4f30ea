import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { CancellationScope, condition, defineSignal, setHandler, startChild, type ChildWorkflowHandle } from '@temporalio/workflow';

/** Ends the lock workflow: the deployment that holds it is done. */
export const releaseLockSignal = defineSignal('release');

export const lockWorkflowId = (app: string, environment: string) => `deploy-lock-${app}-${environment}`;

/**
 * One per app+environment while a deployment runs (the workflow id is the lock). Started as a
 * child, so Temporal ends it when its deployment ends however it ends (parent close policy
 * TERMINATE); it ignores cancellation so that cancelling a deployment does not free the lock
 * before its rollback is done. A stuck lock can be removed with `temporal workflow terminate`.
 */
export async function deploymentLock(): Promise<void> {
  let released = false;
  setHandler(releaseLockSignal, () => { released = true; });
  await CancellationScope.nonCancellable(() => condition(() => released));
}

/** Takes the lock, or says it is held. */
export async function acquireDeploymentLock(app: string, environment: string): Promise<ChildWorkflowHandle<typeof deploymentLock> | 'held'> {
  try {
    // Not cancellable: the lock must outlive a cancellation until the rollback is done.
    return await CancellationScope.nonCancellable(() =>
      startChild(deploymentLock, { workflowId: lockWorkflowId(app, environment), staticSummary: `Lock: one deployment of ${app} ${environment} at a time` }),
    );
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'held';
    throw err;
  }
}

export async function releaseDeploymentLock(lock: ChildWorkflowHandle<typeof deploymentLock> | undefined): Promise<void> {
  if (!lock) return;
  await CancellationScope.nonCancellable(async () => {
    await lock.signal(releaseLockSignal);
    await lock.result();
  });
}
