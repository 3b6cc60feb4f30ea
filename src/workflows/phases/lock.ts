import type { TargetConfig } from '../../config/schema.js';
import { deployFailure, FailureType } from '../../shared/errors.js';
import { call, quick, THIS_WORKER } from '../activities.js';
import { acquireDeploymentLock, lockWorkflowId } from '../deploymentLock.js';
import type { RunState } from '../runState.js';

/**
 * One deployment of an app+environment at a time. A lock nobody deploys behind (started by hand,
 * or its deployment ended) is ended and taken; a live one stops this request, which changed nothing.
 */
export function takeDeploymentLock(run: RunState, target: TargetConfig) {
  const what = `${target.app} ${target.environment}`;
  const lockId = lockWorkflowId(target.app, target.environment);
  return run.step(
    'lock',
    `Take the lock: one deployment of ${what} at a time`,
    async () => {
      for (let attempt = 1; ; attempt++) {
        const lock = await acquireDeploymentLock(target.app, target.environment);
        if (lock !== 'held') return lock;
        const holder = await call(
          THIS_WORKER,
          quick.describeDeploymentLock,
          'Find the deployment that holds the lock',
          {
            lockWorkflowId: lockId,
          },
        );
        if (attempt === 1 && holder.gone) continue;
        if (attempt === 1 && holder.stale && holder.lockRunId) {
          await call(THIS_WORKER, quick.endStaleDeploymentLock, `End the stale lock: ${holder.why}`, {
            lockWorkflowId: lockId,
            lockRunId: holder.lockRunId,
            why: holder.why ?? 'stale',
          });
          continue;
        }
        const holderId = holder.holderWorkflowId;
        const cancel = `safe-deploy cancel ${holderId ?? '<id>'}`;
        throw deployFailure(FailureType.DeploymentInProgress, {
          step: 'lock',
          what: `another deployment of ${what} is running: ${holderId ?? '(it is just ending)'}`,
          remedy: `wait for it to end or cancel it (${cancel}); this request changed nothing`,
          retryable: false,
        });
      }
    },
    () => lockId,
  );
}
