import { ApplicationFailure, CancellationScope, isCancellation, patched, workflowInfo } from '@temporalio/workflow';
import type { DeployRequest } from '../config/schema.js';
import { manualSteps } from '../plan/manualRollbackSteps.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import type { DeploymentReport, Outcome } from '../shared/report.js';
import { call, changing, quick, THIS_WORKER } from './activities.js';
import type { Deployment } from './deployment.js';
import { CANCELLED, describeFailure } from './failures.js';
import type { Decision } from './messages.js';
import { setDeploySearchAttributes } from './searchAttributes.js';

/**
 * How every deployment ends: its outcome as a search attribute, old backups pruned (after
 * `deployed` or `rolled-back`, while the lock is still held), people notified, the report.
 */
export function finisher(
  deployment: Deployment,
  ending: { registered: string[]; request: DeployRequest; ended: (outcome: Outcome) => void },
) {
  const { run, hosts, deploymentId, notify } = deployment;
  return async (outcome: Outcome, err?: unknown): Promise<DeploymentReport> => {
    setDeploySearchAttributes(ending.registered, { outcome });
    if ((outcome === 'deployed' || outcome === 'rolled-back') && run.report.backup) {
      // Retention, while the lock is still held (no other deployment of this app+environment can
      // need what is pruned). Not after rollback-failed: people may need every copy then.
      run.report.retention = await CancellationScope.nonCancellable(() =>
        call(hosts[0]!, changing.pruneBackups, 'Prune old backups (keep backup.keep)', {
          deploymentId,
          target: hosts[0]!.target,
        }),
      )
        .then((pruned) => ({ kept: pruned.kept.length, removed: pruned.removed }))
        .catch((err: unknown) => ({ kept: 0, removed: [], error: describeFailure(err).message }));
    }
    if (outcome === 'deployed' || outcome === 'rolled-back' || outcome === 'rollback-failed') {
      const why = err === undefined ? '' : ` — ${describeFailure(err).message}`;
      const live = `${run.report.release?.to.name ?? ending.request.ref} is live and verified`;
      await notify(outcome, outcome === 'deployed' ? live : `${outcome}${why}`.slice(0, 500), outcome);
    }
    const report = run.finish(outcome, err);
    ending.ended(outcome);
    return report;
  };
}

/** "cancelled by <identity>: <reason>", read from the cancel request in the history (a cancel carries no message). */
async function whoCancelled(): Promise<string> {
  const { workflowId, runId } = workflowInfo();
  const who = await CancellationScope.nonCancellable(() =>
    call(THIS_WORKER, quick.describeCancellation, 'Find who cancelled the deployment', { workflowId, runId }),
  ).catch(() => undefined);
  return `cancelled by ${who?.identity || 'an unknown client'}${who?.reason ? `: ${who.reason}` : ''}`;
}

/**
 * After a failed step, a cancellation or a `rollback` update: the runbook's leftovers cleaned up,
 * then its undos, newest first (only the bookkeeping ones when nothing changed: `aborted`), and
 * the report of what was undone and what is left for people.
 */
export async function rollBack(
  deployment: Deployment,
  err: unknown,
  rollbackAsked: Decision | undefined,
  finish: (outcome: Outcome, err?: unknown) => Promise<DeploymentReport>,
): Promise<DeploymentReport> {
  const { run, undo, rollback } = deployment;
  const asked = rollbackAsked ? `rollback requested by ${rollbackAsked.by}: ${rollbackAsked.reason}` : undefined;
  const cancelled = !asked && isCancellation(err) && patched('cancel-attribution') ? await whoCancelled() : undefined;
  if (cancelled) run.interrupt(cancelled);
  const interruptedAt = run.steps.findLast((s) => s.status !== 'ok')?.name ?? 'deploy';
  const cause = asked
    ? deployFailure(FailureType.RollbackRequested, {
        step: interruptedAt,
        what: asked,
        remedy: 'none: the deployment is rolled back',
        retryable: false,
      })
    : cancelled
      ? ApplicationFailure.create({ type: 'Cancelled', nonRetryable: true, message: cancelled })
      : err;
  // What the runbook left to clean however it ends (its staged copies): not an undo; a failure is
  // only reported by its step.
  for (const cleanUp of deployment.leftovers.splice(0))
    await CancellationScope.nonCancellable(cleanUp).catch(() => undefined);
  if (!undo.changedSomething) {
    // Nothing changed but perhaps a paused door: reopen it, and say what stopped us.
    const result = await undo.runAll();
    return await finish(result.outcome === 'rolled-back' ? 'aborted' : 'rollback-failed', cause);
  }
  run.report.rollback = rollback;
  rollback.reason = asked ?? cancelled ?? (isCancellation(err) ? CANCELLED : describeFailure(err).message);
  rollback.requestedBy = rollbackAsked?.by;
  const result = await undo.runAll();
  rollback.verified = result.outcome === 'rolled-back';
  rollback.undone = run.steps
    .filter((s) => s.phase === 'rollback' && s.status !== 'failed' && s.status !== 'running')
    .map((s) => `${s.summary}: ${s.status === 'skipped' ? `not done (${s.result})` : s.result || 'done'}`);
  rollback.leftForHumans = manualSteps(result.remaining, { target: deployment.hosts[0]!.target, ...deployment.facts });
  return await finish(result.outcome, cause);
}
