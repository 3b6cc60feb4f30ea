import { CancellationScope, condition, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import type { DeployRequestInput } from '../config/schema.js';
import { decisionProblem } from '../plan/decision.js';
import { deploymentIdFor } from '../plan/preflight.js';
import { isFailedOutcome, type DeploymentReport, type Outcome } from '../shared/report.js';
import { call, quick, THIS_WORKER } from './activities.js';
import { Compensations } from './compensations.js';
import { releaseDeploymentLock, type acquireDeploymentLock } from './deploymentLock.js';
import type { Deployment } from './deployment.js';
import { finisher, rollBack } from './ending.js';
import { outcomeFailure } from './failures.js';
import { Gates } from './gates.js';
import { progressQuery, rollbackUpdate, type Decision } from './messages.js';
import { notifier } from './notifications.js';
import { loadConfig } from './phases/loadConfig.js';
import { takeDeploymentLock } from './phases/lock.js';
import { followRunbook } from './runbook.js';
import { RunState } from './runState.js';
import { setDeploySearchAttributes } from './searchAttributes.js';
import { activitySteps } from './steps.js';
import { waitForWindow } from './waiting.js';

/**
 * A safe deployment: the lock, the deploy window, the runbook (src/workflows/runbook.ts) and,
 * when a step fails, the deployment is cancelled or someone asks for it, the rollback — the undos
 * the runbook registered, newest first, shielded from cancellation, verified, and reported.
 */
export async function safeDeployment(input: DeployRequestInput): Promise<DeploymentReport> {
  const { workflowId, runId } = workflowInfo();
  const deploymentId = deploymentIdFor(workflowId, runId);
  const run = new RunState(deploymentId, input ?? {}, workflowId);
  const step = activitySteps(run);
  setHandler(progressQuery, () => run.progress());
  const gates = new Gates(run);
  // The forward steps run in this scope: a `rollback` update cancels it, like a cancellation.
  const forward = new CancellationScope();
  let rollbackAsked: Decision | undefined;
  let outcome: Outcome | undefined;
  setHandler(
    rollbackUpdate,
    async (decision) => {
      rollbackAsked = decision;
      run.interrupt(`rollback requested by ${decision.by}: ${decision.reason}`); // what the step it cuts short says
      forward.cancel();
      await condition(() => outcome !== undefined);
      return { outcome: outcome! };
    },
    {
      validator: (decision) => {
        const problem = decisionProblem(decision);
        if (problem) throw new Error(`invalid rollback request: ${problem}`);
        if (run.finished) throw new Error('this deployment has already ended');
        if (run.rollingBackNow || rollbackAsked) throw new Error('this deployment is already rolling back');
      },
    },
  );

  const { request, target, hosts } = await loadConfig(step, input);
  const summary = 'List the search attributes this namespace has';
  const registered = await call(THIS_WORKER, quick.registeredSearchAttributes, summary);
  setDeploySearchAttributes(registered, { app: target.app, environment: target.environment, ref: request.ref });
  const notify = notifier(run, target, request.ref);
  gates.onOpen = (gate, detail) => notify('waiting-for-approval', `${gate}: ${detail}`);
  const deployment: Deployment = {
    deploymentId,
    request,
    hosts,
    run,
    step,
    gates,
    notify,
    undo: new Compensations(run),
    facts: {},
    leftovers: [],
    rollback: { reason: '', verified: false, checks: [], undone: [], leftForHumans: [] },
  };
  const ended = (reached: Outcome) => (outcome = reached);
  const finish = finisher(deployment, { registered, request, ended });

  const report = await (async (): Promise<DeploymentReport> => {
    let lock: Awaited<ReturnType<typeof acquireDeploymentLock>> | undefined;
    try {
      const done = await forward.run(async () => {
        if (!request.dryRun) {
          // The window first: a deployment waiting hours for it must not keep a hotfix out.
          if (request.window) await waitForWindow(request.window, run);
          lock = await takeDeploymentLock(run, target);
        }
        return followRunbook(deployment);
      });
      return await finish(done);
    } catch (err) {
      return await rollBack(deployment, err, rollbackAsked, finish);
    } finally {
      await releaseDeploymentLock(lock === 'held' ? undefined : lock);
    }
  })();
  // The outcome is the workflow's status: a rolled-back, aborted or failed rollback fails the
  // workflow (red in the Web UI, non-zero for `temporal workflow result`, a failed schedule run),
  // with the report in the failure's details. Histories recorded before this returned them all.
  if (isFailedOutcome(report.outcome) && patched('outcome-is-status')) throw outcomeFailure(report);
  return report;
}
