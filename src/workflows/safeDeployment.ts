import { ApplicationFailure, CancellationScope, condition, isCancellation, setHandler, workflowInfo } from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common/lib/time.js';
import type { LoadedConfig } from '../activities/config.js';
import type { DeployRequestInput } from '../config/schema.js';
import { decisionProblem } from '../plan/decision.js';
import { foreignWrites, type OwnWindow, type WriteCounters } from '../plan/lostWrites.js';
import { deploymentIdFor, migrationBlocker, requiredEnvNames, requiredPackages } from '../plan/preflight.js';
import { backupRecord, backupSummary, restoreSummary } from '../plan/backupReport.js';
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
  const finish = (o: Outcome, err?: unknown) => {
    setDeploySearchAttributes(registered, { outcome: o });
    const report = run.finish(o, err);
    outcome = o;
    return report;
  };

  const undo = new Compensations(run);
  let lock: Awaited<ReturnType<typeof acquireDeploymentLock>> | undefined;
  let previousCommit: string | undefined;
  let backupPath: string | undefined;
  let snapshotDatabase: string | undefined;
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

      const tools = await run.step('check-tools', 'Check git, npm, pg_dump and pg_restore', () => call(quick, 'checkTools', 'Check git, npm, pg_dump and pg_restore', { target }), (r) => r.versions.pg_dump ?? '');
      const db = await run.step('check-database', `Check the ${what} database`, () => call(quick, 'checkDatabase', `Check the ${what} database`, { target, pgDumpMajor: tools.pgDumpMajor }), (r) => `PostgreSQL ${r.serverVersion}, ${r.sizeBytes} bytes, ${r.tables} tables`);
      const release = await run.step('resolve-release', `Resolve ${request.ref} in ${target.gitRemote}`, () => call(quick, 'resolveRelease', `Resolve ${request.ref} in ${target.gitRemote}`, { target, ref: request.ref }), (r) => `${r.current.name} → ${r.target.name}`);
      previousCommit = release.current.commit;
      run.report.release = { from: { commit: release.current.commit, name: release.current.name }, to: { commit: release.target.commit, name: release.target.name } };
      await run.step('check-environment', `Check the env vars ${release.target.name} needs`, () => call(quick, 'checkEnvironment', `Check the env vars ${release.target.name} needs`, { target, names: requiredEnvNames(target, release.target.manifest) }), (r) => `${r.present.length} present`);
      await run.step('check-disk', 'Check room for the backup', () => call(quick, 'checkDisk', 'Check room for the backup', { target, databaseBytes: db.sizeBytes }), (r) => `${r.freeBytes} bytes free`);
      const migrations = await run.step('inspect-migrations', 'Inspect migration status', () => call(quick, 'inspectMigrations', 'Inspect migration status', { target, targetMigrations: release.target.migrations }), (r) => `${r.status}; to apply: ${r.pendingForTarget.join(', ') || 'none'}`);
      run.report.migrations = { statusBefore: migrations.status, pending: migrations.pendingForTarget, applied: [] };
      const blocker = migrationBlocker(migrations);
      if (blocker) throw failure(FailureType.MigrationStateBad, 'inspect-migrations', blocker.what, blocker.remedy);
      if (request.dryRun) return 'dry-run';

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

      const backup = await run.step('backup', `Back up the ${what} database`, () => call(changing, 'backupDatabase', `Back up the ${what} database`, { deploymentId, target }), backupSummary);
      backupPath = backup.dump?.path;
      snapshotDatabase = backup.snapshot?.database;
      run.report.backup = backupRecord(backup);
      const baseline = backup.state.tables.map(({ name, rows }) => ({ name, rows }));

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
      undo.add('reinstall-dependencies', `Reinstall ${release.current.name}'s dependencies`, () => call(changing, 'installDependencies', `Reinstall ${release.current.name}'s dependencies`, { target, commit: release.current.commit, requiredPackages: requiredPackages(target, release.current.manifest), step: 'reinstall-dependencies' }).then((r) => `${r.packages} packages${r.skipped ? ' (already installed)' : ''}`));
      undo.add('reactivate-release', `Check out ${release.current.name} again`, () => call(changing, 'activateRelease', `Check out ${release.current.name} again`, { target, commit: release.current.commit }).then((r) => `at ${r.commit.slice(0, 12)}`));
      await run.step('activate-release', `Check out ${release.target.name}`, () => call(changing, 'activateRelease', `Check out ${release.target.name}`, { target, commit: release.target.commit }), (r) => `${r.previous.slice(0, 12)} → ${r.commit.slice(0, 12)}`);
      await run.step('install-dependencies', `Install ${release.target.name}'s dependencies (npm ci)`, () => call(changing, 'installDependencies', `Install ${release.target.name}'s dependencies (npm ci)`, { target, commit: release.target.commit, requiredPackages: requiredPackages(target, release.target.manifest), step: 'install-dependencies' }), (r) => `${r.packages} packages${r.skipped ? ' (already installed)' : ''}`);

      // Before migrating: a migration can fail half-way, and then the backup must come back —
      // unless people wrote since, which a restore would silently throw away.
      const lost = lostWritesUndo({ run, gates, target, writes, what, rollback, approvalTimeoutMs: msToNumber(target.approval.timeout as never) });
      undo.add('restore-database', `Restore the ${what} database from the backup`, async () => {
        if (lost.keepDatabase()) {
          rollback.strategy = 'code-only';
          return new Skipped(`kept the database: ${lost.why()}`);
        }
        const r = await call(changing, 'restoreDatabase', `Restore the ${what} database from the backup`, { deploymentId, target, backup });
        rollback.strategy = 'restore-database';
        rollback.databaseRestored = r.restored;
        rollback.restoredFrom = r.source;
        rollback.failedDatabaseKeptAs = keptAs = r.keptAs;
        return restoreSummary(r);
      });
      undo.add('approve-lost-writes', 'Ask before throwing away writes made since the backup', () => lost.ask());
      undo.add('check-lost-writes', 'Count writes made since the backup by others', () => lost.count());

      const migrated = await run.step('migrate', 'Apply migrations (prisma migrate deploy)', () => ownWrites(() => call(changing, 'migrateDatabase', 'Apply migrations (prisma migrate deploy)', { target })), (r) => `applied: ${r.applied.join(', ') || 'none'}`);
      run.report.migrations.applied = migrated.applied;
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
      return 'deployed';
    });
    return finish(done);
  } catch (err) {
    const cause = rollbackAsked ? failure(FailureType.RollbackRequested, run.steps.findLast((s) => s.status !== 'ok')?.name ?? 'deploy', `rollback requested by ${rollbackAsked.by}: ${rollbackAsked.reason}`, 'none: the deployment is rolled back') : err;
    if (!undo.changedSomething) {
      // Nothing changed but perhaps a paused door: reopen it, and say what stopped us.
      const result = await undo.runAll();
      return finish(result.outcome === 'rolled-back' ? 'aborted' : 'rollback-failed', cause);
    }
    run.report.rollback = rollback;
    rollback.reason = rollbackAsked ? `rollback requested by ${rollbackAsked.by}: ${rollbackAsked.reason}` : isCancellation(err) ? 'the deployment was cancelled' : describeFailure(err).message;
    rollback.requestedBy = rollbackAsked?.by;
    const result = await undo.runAll();
    rollback.verified = result.outcome === 'rolled-back';
    rollback.undone = run.steps.filter((s) => s.phase === 'rollback' && s.status !== 'failed' && s.status !== 'running').map((s) => `${s.summary}: ${s.status === 'skipped' ? `not done (${s.result})` : s.result || 'done'}`);
    rollback.leftForHumans = manualSteps(result.remaining, { target, previousCommit, backupPath, snapshotDatabase, keptAs });
    return finish(result.outcome, cause);
  } finally {
    await releaseDeploymentLock(lock === 'held' ? undefined : lock);
  }
}
