import {
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { DeployRequestInput } from '../config/schema.js';
import { decisionProblem } from '../plan/decision.js';
import { deploymentIdFor } from '../plan/preflight.js';
import { manualSteps } from '../plan/rollback.js';
import { deployFailure, FailureType, INPUT_FAILURES } from '../shared/errors.js';
import {
  FAILED_OUTCOMES,
  isFailedOutcome,
  type DeploymentReport,
  type FailedOutcome,
  type Outcome,
} from '../shared/report.js';
import { call, changing, quick, THIS_WORKER } from './activities.js';
import { Compensations } from './compensations.js';
import { acquireDeploymentLock, lockWorkflowId, releaseDeploymentLock } from './deploymentLock.js';
import { applicationFailureOf, CANCELLED, describeFailure } from './failures.js';
import { Gates } from './gates.js';
import type { Host } from './hosts.js';
import { progressQuery, rollbackUpdate, type Decision } from './messages.js';
import { notifier } from './notifications.js';
import { runbook, type Deployment } from './runbook.js';
import { RunState } from './runState.js';
import { setDeploySearchAttributes } from './searchAttributes.js';
import { waitForWindow } from './waiting.js';

/** `rolled-back: [verify] 1 of 18 checks failed…` — the one-line outcome, the report in the details. */
function outcomeFailure(report: DeploymentReport): ApplicationFailure {
  const o = report.outcome as FailedOutcome;
  return ApplicationFailure.create({
    type: FAILED_OUTCOMES[o],
    nonRetryable: true,
    message: `${o}${report.error ? `: ${report.error.message}` : ''}`,
    details: [report],
  });
}

/** A bad request or config fails the workflow itself, naming the field; nothing was changed. */
function asInputFailure(err: unknown): unknown {
  const cause = applicationFailureOf(err);
  return cause && INPUT_FAILURES.includes(cause.type as FailureType)
    ? ApplicationFailure.create({ type: cause.type ?? undefined, message: cause.message, nonRetryable: true })
    : err;
}

/**
 * A safe deployment: the lock, the deploy window, the runbook (src/workflows/runbook.ts) and,
 * when a step fails, the deployment is cancelled or someone asks for it, the rollback — the undos
 * the runbook registered, newest first, shielded from cancellation, verified, and reported.
 */
export async function safeDeployment(input: DeployRequestInput): Promise<DeploymentReport> {
  const { workflowId, runId } = workflowInfo();
  const deploymentId = deploymentIdFor(workflowId, runId);
  const run = new RunState(deploymentId, input ?? {}, workflowId);
  /** "cancelled by <identity>: <reason>", read from the cancel request in the history (a cancel carries no message to the workflow). */
  const whoCancelled = async () => {
    const who = await CancellationScope.nonCancellable(() =>
      call(THIS_WORKER, quick.describeCancellation, 'Find who cancelled the deployment', { workflowId, runId }),
    ).catch(() => undefined);
    return `cancelled by ${who?.identity || 'an unknown client'}${who?.reason ? `: ${who.reason}` : ''}`;
  };
  setHandler(progressQuery, () => run.progress());
  const gates = new Gates(run);
  // The forward steps run in this scope: a `rollback` update cancels it, like a cancellation.
  const forward = new CancellationScope();
  let rollbackAsked: Decision | undefined;
  let outcome: Outcome | undefined;
  setHandler(
    rollbackUpdate,
    async (d) => {
      rollbackAsked = d;
      run.interrupt(`rollback requested by ${d.by}: ${d.reason}`); // what the step it cuts short says
      forward.cancel();
      await condition(() => outcome !== undefined);
      return { outcome: outcome! };
    },
    {
      validator: (d) => {
        const problem = decisionProblem(d);
        if (problem) throw new Error(`invalid rollback request: ${problem}`);
        if (run.finished) throw new Error('this deployment has already ended');
        if (run.rollingBackNow || rollbackAsked) throw new Error('this deployment is already rolling back');
      },
    },
  );

  const summary = 'Validate the request and the worker configuration';
  const { request, target } = await run
    .step('load-config', summary, () => call(THIS_WORKER, quick.loadConfig, summary, input))
    .catch((err) => {
      throw asInputFailure(err);
    });
  // Several hosts: each host's worker validates its own configuration of this app+environment.
  const hosts: Host[] = [];
  for (const h of target.hosts ?? [{ name: 'local', taskQueue: undefined }]) {
    const own =
      h.taskQueue === undefined
        ? target
        : (
            await run
              .step('load-config', `Validate ${h.name}'s configuration`, () =>
                call(h as Host, quick.loadConfig, `Validate ${h.name}'s configuration`, input),
              )
              .catch((err) => {
                throw asInputFailure(err);
              })
          ).target;
    hosts.push({ name: h.name, taskQueue: h.taskQueue, target: own });
  }
  const what = `${target.app} ${target.environment}`;
  const registered = await call(
    THIS_WORKER,
    quick.registeredSearchAttributes,
    'List the search attributes this namespace has',
  );
  setDeploySearchAttributes(registered, { app: target.app, environment: target.environment, ref: request.ref });
  const notify = notifier(run, target, request.ref);
  gates.onOpen = (gate, detail) => notify('waiting-for-approval', `${gate}: ${detail}`);
  const finish = async (o: Outcome, err?: unknown) => {
    setDeploySearchAttributes(registered, { outcome: o });
    if ((o === 'deployed' || o === 'rolled-back') && run.report.backup) {
      // Retention, while the lock is still held (no other deployment of this app+environment can
      // need what is pruned). Not after rollback-failed: people may need every copy then.
      run.report.retention = await CancellationScope.nonCancellable(() =>
        call(hosts[0]!, changing.pruneBackups, 'Prune old backups (keep backup.keep)', {
          deploymentId,
          target: hosts[0]!.target,
        }),
      )
        .then((r) => ({ kept: r.kept.length, removed: r.removed }))
        .catch((e: unknown) => ({ kept: 0, removed: [], error: describeFailure(e).message }));
    }
    if (o === 'deployed' || o === 'rolled-back' || o === 'rollback-failed') {
      const why = err === undefined ? '' : ` — ${describeFailure(err).message}`;
      await notify(
        o,
        o === 'deployed'
          ? `${run.report.release?.to.name ?? request.ref} is live and verified`
          : `${o}${why}`.slice(0, 500),
        o,
      );
    }
    const report = run.finish(o, err);
    outcome = o;
    return report;
  };

  const d: Deployment = {
    deploymentId,
    request,
    hosts,
    run,
    gates,
    notify,
    undo: new Compensations(run),
    facts: {},
    leftovers: [],
    rollback: { reason: '', verified: false, checks: [], undone: [], leftForHumans: [] },
  };
  const report = await (async (): Promise<DeploymentReport> => {
    let lock: Awaited<ReturnType<typeof acquireDeploymentLock>> | undefined;
    try {
      const done = await forward.run(async () => {
        if (!request.dryRun) {
          // The window first: a deployment waiting hours for it must not keep a hotfix out.
          if (request.window) await waitForWindow(request.window, run);
          const lockId = lockWorkflowId(target.app, target.environment);
          lock = await run.step(
            'lock',
            `Take the lock: one deployment of ${what} at a time`,
            async () => {
              for (let attempt = 1; ; attempt++) {
                const l = await acquireDeploymentLock(target.app, target.environment);
                if (l !== 'held') return l;
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
                  // Nobody deploys behind it (started by hand, or its deployment ended): end it and take it.
                  await call(THIS_WORKER, quick.endStaleDeploymentLock, `End the stale lock: ${holder.why}`, {
                    lockWorkflowId: lockId,
                    lockRunId: holder.lockRunId,
                    why: holder.why ?? 'stale',
                  });
                  continue;
                }
                throw deployFailure(FailureType.DeploymentInProgress, {
                  step: 'lock',
                  what: `another deployment of ${what} is running: ${holder.holderWorkflowId ?? '(it is just ending)'}`,
                  remedy: `wait for it to end or cancel it (safe-deploy cancel ${holder.holderWorkflowId ?? '<id>'}); this request changed nothing`,
                  retryable: false,
                });
              }
            },
            () => lockId,
          );
        }
        return runbook(d);
      });
      return await finish(done);
    } catch (err) {
      const asked = rollbackAsked ? `rollback requested by ${rollbackAsked.by}: ${rollbackAsked.reason}` : undefined;
      const cancelled =
        !asked && isCancellation(err) && patched('cancel-attribution') ? await whoCancelled() : undefined;
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
      // What the runbook left to clean however it ends (its staged copies): not an undo, and its failure is only reported by its step.
      for (const cleanUp of d.leftovers.splice(0))
        await CancellationScope.nonCancellable(cleanUp).catch(() => undefined);
      if (!d.undo.changedSomething) {
        // Nothing changed but perhaps a paused door: reopen it, and say what stopped us.
        const result = await d.undo.runAll();
        return await finish(result.outcome === 'rolled-back' ? 'aborted' : 'rollback-failed', cause);
      }
      const { rollback } = d;
      run.report.rollback = rollback;
      rollback.reason = asked ?? cancelled ?? (isCancellation(err) ? CANCELLED : describeFailure(err).message);
      rollback.requestedBy = rollbackAsked?.by;
      const result = await d.undo.runAll();
      rollback.verified = result.outcome === 'rolled-back';
      rollback.undone = run.steps
        .filter((s) => s.phase === 'rollback' && s.status !== 'failed' && s.status !== 'running')
        .map((s) => `${s.summary}: ${s.status === 'skipped' ? `not done (${s.result})` : s.result || 'done'}`);
      rollback.leftForHumans = manualSteps(result.remaining, { target: hosts[0]!.target, ...d.facts });
      return await finish(result.outcome, cause);
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
