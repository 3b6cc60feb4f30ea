import { ApplicationFailure, CancellationScope, condition, isCancellation, setHandler, workflowInfo } from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common/lib/time.js';
import type { LoadedConfig } from '../activities/config.js';
import type { DeployRequestInput } from '../config/schema.js';
import { decisionProblem } from '../plan/decision.js';
import type { OwnWindow, WriteCounters } from '../plan/lostWrites.js';
import { deploymentIdFor, requiredPackages } from '../plan/preflight.js';
import { describeApprovals } from '../plan/riskGate.js';
import { planRollback, restoreAnyway } from '../plan/rollbackPlan.js';
import { manualSteps } from '../plan/rollback.js';
import { FailureType, INPUT_FAILURES } from '../shared/errors.js';
import type { DeploymentReport, Outcome } from '../shared/report.js';
import { call, changing, quick } from './activities.js';
import { Compensations } from './compensations.js';
import { acquireDeploymentLock, lockWorkflowId, releaseDeploymentLock } from './deploymentLock.js';
import { applicationFailureOf, checksOf, describeFailure } from './failures.js';
import { Gates } from './gates.js';
import { lostWritesUndo } from './lostWrites.js';
import { progressQuery, rollbackUpdate, type Decision } from './messages.js';
import { RunState, Skipped } from './runState.js';
import { setDeploySearchAttributes } from './searchAttributes.js';
import { notifier } from './notifications.js';
import { runPreChecks } from './preChecks.js';
import { monitorRelease, waitForWindow } from './waiting.js';

const failure = (type: FailureType, step: string, what: string, remedy: string) =>
  ApplicationFailure.create({ type, nonRetryable: true, message: `[${step}] ${what}. Remedy: ${remedy}` });

/**
 * The deployment runbook: lock → pre-checks → gates → writes paused → verified backup → code →
 * dependencies → migrate → restart → verify → writes resumed → monitoring, with each change's
 * undo registered beside it and run, newest first, when a later step fails, the deployment is
 * cancelled or someone asks for a rollback.
 */
export async function safeDeployment(input: DeployRequestInput): Promise<DeploymentReport> {
  const { workflowId, runId } = workflowInfo();
  const deploymentId = deploymentIdFor(workflowId, runId);
  const run = new RunState(deploymentId, input ?? {});
  setHandler(progressQuery, () => run.progress());
  const gates = new Gates(run);
  // The forward steps run in this scope: a `rollback` update cancels it, like a cancellation.
  const forward = new CancellationScope();
  let rollbackAsked: Decision | undefined;
  let outcome: Outcome | undefined;
  setHandler(rollbackUpdate, async (d) => {
    rollbackAsked = d;
    forward.cancel();
    await condition(() => outcome !== undefined);
    return { outcome: outcome! };
  }, {
    validator: (d) => {
      const problem = decisionProblem(d);
      if (problem) throw new Error(`invalid rollback request: ${problem}`);
      if (run.finished) throw new Error('this deployment has already ended');
      if (run.rollingBackNow || rollbackAsked) throw new Error('this deployment is already rolling back');
    },
  });

  let loaded: LoadedConfig;
  try {
    loaded = await run.step('load-config', 'Validate the request and the worker configuration', () => call(quick, 'loadConfig', 'Validate the request and the worker configuration', input));
  } catch (err) {
    // A bad request or config fails the workflow itself, naming the field; nothing was changed.
    const cause = applicationFailureOf(err);
    if (cause && INPUT_FAILURES.includes(cause.type as FailureType)) throw ApplicationFailure.create({ type: cause.type ?? undefined, message: cause.message, nonRetryable: true });
    throw err;
  }
  const { request, target } = loaded;
  const what = `${target.app} ${target.environment}`;
  const registered = await call(quick, 'registeredSearchAttributes', 'List the search attributes this namespace has');
  setDeploySearchAttributes(registered, { app: target.app, environment: target.environment, ref: request.ref });
  const notify = notifier(run, target, request.ref);
  gates.onOpen = (gate, detail) => notify('waiting-for-approval', `${gate}: ${detail}`);
  const finish = async (o: Outcome, err?: unknown) => {
    setDeploySearchAttributes(registered, { outcome: o });
    if (o === 'deployed' || o === 'rolled-back' || o === 'rollback-failed') {
      const why = err === undefined ? '' : ` — ${describeFailure(err).message}`;
      await notify(o, o === 'deployed' ? `${run.report.release?.to.name ?? request.ref} is live and verified` : `${o}${why}`.slice(0, 500), o);
    }
    const report = run.finish(o, err);
    outcome = o;
    return report;
  };

  const undo = new Compensations(run);
  let lock: Awaited<ReturnType<typeof acquireDeploymentLock>> | undefined;
  let previousCommit: string | undefined;
  let backupPath: string | undefined;
  let keptAs: string | undefined;
  const rollback: NonNullable<DeploymentReport['rollback']> = { reason: '', verified: false, checks: [], undone: [], leftForHumans: [] };

  try {
    const done = await forward.run(async (): Promise<Outcome> => {
      if (!request.dryRun) {
        lock = await run.step('lock', `Take the lock: one deployment of ${what} at a time`, async () => {
          const l = await acquireDeploymentLock(target.app, target.environment);
          if (l !== 'held') return l;
          const holder = await call(quick, 'describeDeploymentLock', 'Find the deployment that holds the lock', { lockWorkflowId: lockWorkflowId(target.app, target.environment) });
          throw failure(FailureType.DeploymentInProgress, 'lock', `another deployment of ${what} is running: ${holder.holderWorkflowId ?? '(it is just ending)'}`, `wait for it to end or cancel it (safe-deploy cancel ${holder.holderWorkflowId ?? '<id>'}); this request changed nothing`);
        }, () => lockWorkflowId(target.app, target.environment));
        if (request.window) await waitForWindow(request.window, run);
      }

      const { release, history, gate } = await runPreChecks(run, { deploymentId, request, target });
      previousCommit = release.current.commit;
      const previous = { ...release.current, dir: release.current.dir ?? target.appDir };
      const releases = target.codeLayout === 'releases';
      const pending = history.pendingForTarget.length > 0;
      if (gate.approvals.length > 0) {
        if (request.dryRun) {
          run.report.decisions.push({ gate: 'migration-risk', asked: describeApprovals(gate.approvals), decision: 'timed-out', reason: 'a dry run does not wait: a real deployment would ask this', at: new Date().toISOString() });
        } else {
          await run.step('approval', 'Wait for a person to approve the migration risks', async () => {
            const answer = await gates.ask('migration-risk', describeApprovals(gate.approvals), msToNumber(target.approval.timeout as never));
            if (answer.decision === 'rejected') throw failure(FailureType.ApprovalRejected, 'approval', `${answer.by} rejected the deployment: ${answer.reason}`, 'nothing was changed');
            if (answer.decision === 'timed-out') throw failure(FailureType.ApprovalTimedOut, 'approval', `nobody approved within ${target.approval.timeout}`, 'nothing was changed; start again when someone can approve');
            return answer;
          }, (a) => `approved by ${a.by}: ${a.reason}`);
        }
      }

      // The target release in a directory of its own (no production change): the release
      // directory itself, or a scratch copy in place, where the migration can be rehearsed.
      const rehearse = pending && target.rehearsal.enabled;
      const startedAt = new Date(workflowInfo().startTime).toISOString();
      const staged = releases || rehearse
        ? await run.step('stage-release', `Stage ${release.target.name} in its own directory (checkout, npm ci)`, () => call(changing, 'stageRelease', `Stage ${release.target.name}`, { target, deploymentId, commit: release.target.commit, startedAt, requiredPackages: requiredPackages(target, release.target.manifest) }), (r) => `${r.dir} (${r.install.packages} packages)`)
        : undefined;
      const unstage = async () => {
        if (staged && !releases) await run.step('remove-staging', 'Remove the staged copy', () => CancellationScope.nonCancellable(() => call(changing, 'removeStagedRelease', 'Remove the staged copy', { target, dir: staged.dir })), (r) => (r.removed ? 'removed' : 'already gone'));
      };
      const rehearseOn = async (backupPath?: string) => {
        const r = await run.step('rehearse', `Rehearse ${release.target.name}'s migrations on a copy of the database`, () => call(changing, 'rehearseMigration', `Rehearse ${release.target.name}'s migrations on a copy`, { deploymentId, target, backupPath, stagedDir: staged!.dir, release: release.target, previous, baseline: [] as { name: string; rows: number }[] }), (x) => `${x.migrations.map((m) => `${m.name} ${m.durationMs} ms`).join(', ')}${x.previousReleaseCompatible === undefined ? '' : `; ${release.current.name} ${x.previousReleaseCompatible ? 'runs' : 'does not run'} on it`}`);
        run.report.rehearsal = { migrations: r.migrations, checks: r.checks.map(({ name, kind, ok, detail }) => ({ name, kind, ok, detail })), previousReleaseCompatible: r.previousReleaseCompatible, compatibility: r.compatibility, durationMs: r.durationMs };
        return r;
      };
      if (request.dryRun) {
        try {
          if (rehearse) await rehearseOn(undefined);
        } finally {
          await unstage();
        }
        return 'dry-run';
      }

      await notify('started', `${release.current.name} → ${release.target.name}${request.reason ? ` (${request.reason})` : ''}${request.requestedBy ? `, by ${request.requestedBy}` : ''}`);
      // Writes pause before the backup, so that a restore can lose nothing (policy `stop`).
      const policy = target.writes.policy;
      undo.add('resume-writes-after-rollback', `Resume ${what}'s writes`, () => call(changing, 'resumeWrites', `Resume ${what}'s writes`, { target, step: 'resume-writes-after-rollback' }).then(() => 'writes resumed'), { changes: false });
      const paused = await run.step('stop-writes', policy === 'stop' ? `Pause ${what}'s writes (maintenance)` : `Read the write counters (policy detect: ${what} keeps serving)`, () => call(changing, 'stopWrites', `Pause ${what}'s writes`, { target, step: 'stop-writes' }), (r) => (r.stopped ? 'writes paused' : 'counters read'));
      run.report.writes = { policy, ...(paused.stopped ? { stoppedAt: paused.counters.at } : {}) };
      const writes = { since: policy === 'detect' ? paused.counters : undefined as WriteCounters | undefined, own: [] as OwnWindow[] };
      /** Runs one of safe-deploy's own writing steps; under `detect`, its writes are counted as ours. */
      const ownWrites = async <T>(fn: () => Promise<T>): Promise<T> => {
        if (policy !== 'detect') return fn();
        const before = await call(changing, 'countWrites', 'Read the write counters', { target, step: 'migrate' });
        try {
          return await fn();
        } finally {
          writes.own.push({ before, after: await CancellationScope.nonCancellable(() => call(changing, 'countWrites', 'Read the write counters', { target, step: 'verify' })) });
        }
      };

      const backup = await run.step('backup', `Back up the ${what} database`, () => call(changing, 'backupDatabase', `Back up the ${what} database`, { deploymentId, target }), (r) => `${r.path} (${r.sizeBytes} bytes, sha256 ${r.sha256.slice(0, 12)})`);
      backupPath = backup.path;
      run.report.backup = { path: backup.path, format: backup.format, sizeBytes: backup.sizeBytes, sha256: backup.sha256, tables: backup.state.tables.map(({ name, rows }) => ({ name, rows })) };
      const baseline = backup.state.tables.map(({ name, rows }) => ({ name, rows }));
      let compatible: boolean | undefined;
      try {
        if (rehearse) compatible = (await rehearseOn(backup.path)).previousReleaseCompatible;
      } finally {
        await unstage();
      }
      const plan = planRollback({ preferCodeOnly: target.rehearsal.preferCodeOnly, additiveOnly: gate.additiveOnly, previousReleaseCompatible: compatible });
      run.report.rollbackPlan = plan;

      // Registered first so they run last: the rollback ends on the previous release, restarted and verified.
      undo.add('verify-rollback', `Verify ${release.current.name} is live and whole again`, async () => {
        const r = await call(changing, 'verifyDeployment', `Verify ${release.current.name} is live and whole again`, { target, release: release.current, baseline, runId: `${deploymentId}-rollback`, step: 'verify-rollback', migrationsMustBeClean: rollback.strategy !== 'code-only' }).catch((err) => {
          run.addChecks(rollback.checks, checksOf(err));
          throw err;
        });
        run.addChecks(rollback.checks, r.checks);
        return `${r.checks.length} checks passed`;
      });
      undo.add('restart-previous', `Restart ${what} on ${release.current.name}`, () => call(changing, 'restartApplication', `Restart ${what} on ${release.current.name}`, { target, step: 'restart-previous' }).then((r) => `healthy after ${r.healthyAfterMs} ms`));
      // Code goes back before its dependencies: npm ci must read the previous lockfile.
      undo.add('reinstall-dependencies', `Reinstall ${release.current.name}'s dependencies`, async () => (releases
        ? new Skipped(`${release.current.name}'s release directory kept its own node_modules`)
        : call(changing, 'installDependencies', `Reinstall ${release.current.name}'s dependencies`, { target, commit: release.current.commit, requiredPackages: requiredPackages(target, release.current.manifest), step: 'reinstall-dependencies' }).then((r) => `${r.packages} packages${r.skipped ? ' (already installed)' : ''}`)));
      undo.add('reactivate-release', releases ? `Point current back at ${release.current.name}` : `Check out ${release.current.name} again`, () => call(changing, 'activateRelease', `Put ${release.current.name} back`, { target, commit: release.current.commit, dir: previous.dir }).then((r) => (releases ? `current → ${previous.dir}` : `at ${r.commit.slice(0, 12)}`)));
      await run.step('activate-release', releases ? `Point current at ${release.target.name}` : `Check out ${release.target.name}`, () => call(changing, 'activateRelease', `Activate ${release.target.name}`, { target, commit: release.target.commit, dir: staged?.dir }), () => (releases ? `current → ${staged!.dir}` : `${release.current.commit.slice(0, 12)} → ${release.target.commit.slice(0, 12)}`));
      await run.step('install-dependencies', `Install ${release.target.name}'s dependencies (npm ci)`, async () => (releases
        ? new Skipped('installed in the release directory while staging')
        : call(changing, 'installDependencies', `Install ${release.target.name}'s dependencies (npm ci)`, { target, commit: release.target.commit, requiredPackages: requiredPackages(target, release.target.manifest), step: 'install-dependencies' })), (r) => `${r.packages} packages${r.skipped ? ' (already installed)' : ''}`);
      let migrateSucceeded = false;

      // Before migrating: a migration can fail half-way, and then the backup must come back —
      // unless people wrote since, which a restore would silently throw away.
      /** Why the backup must come back despite a code-only plan, or undefined when the plan holds. */
      const keepByPlan = () => plan.strategy === 'code-only' && !restoreAnyway(plan, { migrateSucceeded, dataCheckFailed: run.report.checks.some((c) => c.kind === 'data' && !c.ok) });
      const lost = lostWritesUndo({ run, gates, target, writes, what, rollback, approvalTimeoutMs: msToNumber(target.approval.timeout as never), restoring: () => !keepByPlan() });
      undo.add('restore-database', `Restore the ${what} database from the backup`, async () => {
        if (keepByPlan() || lost.keepDatabase()) {
          rollback.strategy = 'code-only';
          return new Skipped(`kept the database: ${keepByPlan() ? plan.why : lost.why()}`);
        }
        const r = await call(changing, 'restoreDatabase', `Restore the ${what} database from the backup`, { deploymentId, target, backup });
        rollback.strategy = 'restore-database';
        rollback.databaseRestored = r.restored;
        rollback.failedDatabaseKeptAs = keptAs = r.keptAs;
        if (!r.restored) return 'the database already equalled the backup';
        return `${r.changed ? 'restored' : 'already restored by an earlier attempt'} and proven equal to the backup; the failed database is kept as ${r.keptAs}`;
      });
      undo.add('approve-lost-writes', 'Ask before throwing away writes made since the backup', () => lost.ask());
      undo.add('check-lost-writes', 'Count writes made since the backup by others', () => lost.count());

      const migrated = await run.step('migrate', 'Apply migrations (prisma migrate deploy)', () => ownWrites(() => call(changing, 'migrateDatabase', 'Apply migrations (prisma migrate deploy)', { target })), (r) => `applied: ${r.applied.join(', ') || 'none'}`);
      migrateSucceeded = true;
      run.report.migrations!.applied = migrated.applied;
      await run.step('restart', `Restart ${what} on ${release.target.name}`, () => call(changing, 'restartApplication', `Restart ${what} on ${release.target.name}`, { target, step: 'restart' }), (r) => `healthy after ${r.healthyAfterMs} ms`);
      const verified = await run.step('verify', `Verify ${release.target.name}: health, checks, schema, data`, () => ownWrites(() => call(changing, 'verifyDeployment', `Verify ${release.target.name}: health, checks, schema, data`, { target, release: release.target, baseline, runId: `${deploymentId}-verify`, step: 'verify' })).catch((err) => {
        run.addChecks(run.report.checks, checksOf(err));
        throw err;
      }), (r) => `${r.checks.length} checks passed`);
      run.addChecks(run.report.checks, verified.checks);

      if (policy === 'stop') {
        // From here people write again: a rollback first pauses them, then counts what it would lose.
        undo.add('stop-writes-again', `Pause ${what}'s writes again`, () => call(changing, 'stopWrites', `Pause ${what}'s writes again`, { target, step: 'stop-writes-again' }).then(() => 'writes paused'), { changes: false });
        const resumed = await run.step('resume-writes', `Resume ${what}'s writes`, () => call(changing, 'resumeWrites', `Resume ${what}'s writes`, { target, step: 'resume-writes' }), () => 'writes resumed');
        writes.since = resumed.counters;
        run.report.writes.resumedAt = resumed.counters.at;
      }
      await monitorRelease(target, request.monitorMinutes ?? target.monitor.minutes, msToNumber(target.monitor.interval as never), run);
      if (releases) await run.step('prune', 'Remove old release directories', () => call(quick, 'pruneReleases', 'Remove old release directories', { target, protect: [previous.dir] }), (r) => `removed ${r.removed.length}`);
      return 'deployed';
    });
    return await finish(done);
  } catch (err) {
    const cause = rollbackAsked ? failure(FailureType.RollbackRequested, run.steps.findLast((s) => s.status !== 'ok')?.name ?? 'deploy', `rollback requested by ${rollbackAsked.by}: ${rollbackAsked.reason}`, 'none: the deployment is rolled back') : err;
    if (!undo.changedSomething) {
      // Nothing changed but perhaps a paused door: reopen it, and say what stopped us.
      const result = await undo.runAll();
      return await finish(result.outcome === 'rolled-back' ? 'aborted' : 'rollback-failed', cause);
    }
    run.report.rollback = rollback;
    rollback.reason = rollbackAsked ? `rollback requested by ${rollbackAsked.by}: ${rollbackAsked.reason}` : isCancellation(err) ? 'the deployment was cancelled' : describeFailure(err).message;
    rollback.requestedBy = rollbackAsked?.by;
    const result = await undo.runAll();
    rollback.verified = result.outcome === 'rolled-back';
    rollback.undone = run.steps.filter((s) => s.phase === 'rollback' && s.status !== 'failed' && s.status !== 'running').map((s) => `${s.summary}: ${s.status === 'skipped' ? `not done (${s.result})` : s.result || 'done'}`);
    rollback.leftForHumans = manualSteps(result.remaining, { target, previousCommit, backupPath, keptAs });
    return await finish(result.outcome, cause);
  } finally {
    await releaseDeploymentLock(lock === 'held' ? undefined : lock);
  }
}
