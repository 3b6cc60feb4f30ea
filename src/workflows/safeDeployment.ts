import { ApplicationFailure, setHandler, workflowInfo } from '@temporalio/workflow';
import type { LoadedConfig } from '../activities/config.js';
import type { DeployRequestInput } from '../config/schema.js';
import { deploymentIdFor, migrationBlocker, requiredEnvNames, requiredPackages } from '../plan/preflight.js';
import { manualSteps } from '../plan/rollback.js';
import { FailureType, INPUT_FAILURES } from '../shared/errors.js';
import type { DeploymentReport } from '../shared/report.js';
import { changing, quick } from './activities.js';
import { Compensations } from './compensations.js';
import { applicationFailureOf, checksOf } from './failures.js';
import { progressQuery } from './messages.js';
import { RunState } from './runState.js';

/**
 * The deployment runbook: pre-checks → verified backup → code → dependencies → migrate →
 * restart → verify, with each change's undo registered beside it and run, newest first,
 * when a later step fails or the deployment is cancelled.
 */
export async function safeDeployment(input: DeployRequestInput): Promise<DeploymentReport> {
  const { workflowId, runId } = workflowInfo();
  const deploymentId = deploymentIdFor(workflowId, runId);
  const run = new RunState(deploymentId, input ?? {});
  setHandler(progressQuery, () => run.progress());

  let loaded: LoadedConfig;
  try {
    loaded = await run.step('load-config', 'Validate the request and the worker configuration', () => quick.loadConfig(input));
  } catch (err) {
    // A bad request or config fails the workflow itself, naming the field; nothing was changed.
    const cause = applicationFailureOf(err);
    if (cause && INPUT_FAILURES.includes(cause.type as FailureType)) throw ApplicationFailure.create({ type: cause.type ?? undefined, message: cause.message, nonRetryable: true });
    throw err;
  }
  const { request, target } = loaded;
  const what = `${target.app} ${target.environment}`;
  const undo = new Compensations(run);
  let previous: { commit: string; name: string } | undefined;
  let backupPath: string | undefined;
  const rollback: NonNullable<DeploymentReport['rollback']> = { reason: '', verified: false, checks: [], leftForHumans: [] };

  try {
    const tools = await run.step('check-tools', 'Check git, npm, pg_dump and pg_restore', () => quick.checkTools({ target }), (r) => r.versions.pg_dump ?? '');
    const db = await run.step('check-database', `Check the ${what} database`, () => quick.checkDatabase({ target, pgDumpMajor: tools.pgDumpMajor }), (r) => `PostgreSQL ${r.serverVersion}, ${r.sizeBytes} bytes, ${r.tables} tables`);
    const release = await run.step('resolve-release', `Resolve ${request.ref} in ${target.gitRemote}`, () => quick.resolveRelease({ target, ref: request.ref }), (r) => `${r.current.name} → ${r.target.name}`);
    previous = { commit: release.current.commit, name: release.current.name };
    run.report.release = { from: previous, to: { commit: release.target.commit, name: release.target.name } };
    await run.step('check-environment', `Check the env vars ${release.target.name} needs`, () => quick.checkEnvironment({ target, names: requiredEnvNames(target, release.target.manifest) }), (r) => `${r.present.length} present`);
    await run.step('check-disk', 'Check room for the backup', () => quick.checkDisk({ target, databaseBytes: db.sizeBytes }), (r) => `${r.freeBytes} bytes free`);
    const migrations = await run.step('inspect-migrations', 'Inspect migration status', () => quick.inspectMigrations({ target, targetMigrations: release.target.migrations }), (r) => `${r.status}; to apply: ${r.pendingForTarget.join(', ') || 'none'}`);
    run.report.migrations = { statusBefore: migrations.status, pending: migrations.pendingForTarget, applied: [] };
    const blocker = migrationBlocker(migrations);
    if (blocker) throw ApplicationFailure.create({ type: FailureType.MigrationStateBad, message: `[inspect-migrations] ${blocker.what}. Remedy: ${blocker.remedy}`, nonRetryable: true });
    if (request.dryRun) return run.finish('dry-run');

    const backup = await run.step('backup', `Back up the ${what} database`, () => changing.backupDatabase({ deploymentId, target }), (r) => `${r.path} (${r.sizeBytes} bytes, sha256 ${r.sha256.slice(0, 12)})`);
    backupPath = backup.path;
    run.report.backup = { path: backup.path, format: backup.format, sizeBytes: backup.sizeBytes, sha256: backup.sha256, tables: backup.state.tables.map(({ name, rows }) => ({ name, rows })) };
    const baseline = backup.state.tables.map(({ name, rows }) => ({ name, rows }));

    // Registered first so they run last: the rollback ends on the previous release, restarted and verified.
    undo.add('verify-rollback', `Verify ${release.current.name} is live and whole again`, async () => {
      const r = await changing.verifyDeployment({ target, release: release.current, baseline, runId: `${deploymentId}-rollback`, step: 'verify-rollback' }).catch((err) => {
        run.addChecks(rollback.checks, checksOf(err));
        throw err;
      });
      run.addChecks(rollback.checks, r.checks);
    });
    undo.add('restart-previous', `Restart ${what} on ${release.current.name}`, () => changing.restartApplication({ target, step: 'restart-previous' }));
    // Code goes back before its dependencies: npm ci must read the previous lockfile.
    undo.add('reinstall-dependencies', `Reinstall ${release.current.name}'s dependencies`, () => changing.installDependencies({ target, commit: release.current.commit, requiredPackages: requiredPackages(target, release.current.manifest), step: 'reinstall-dependencies' }));
    undo.add('reactivate-release', `Check out ${release.current.name} again`, () => changing.activateRelease({ target, commit: release.current.commit }));
    await run.step('activate-release', `Check out ${release.target.name}`, () => changing.activateRelease({ target, commit: release.target.commit }), (r) => `${r.previous.slice(0, 12)} → ${r.commit.slice(0, 12)}`);
    await run.step('install-dependencies', `Install ${release.target.name}'s dependencies (npm ci)`, () => changing.installDependencies({ target, commit: release.target.commit, requiredPackages: requiredPackages(target, release.target.manifest), step: 'install-dependencies' }), (r) => `${r.packages} packages${r.skipped ? ' (already installed)' : ''}`);
    // Before migrating: a migration can fail half-way, and then the backup must come back.
    undo.add('restore-database', `Restore the ${what} database from the backup`, async () => {
      const r = await changing.restoreDatabase({ deploymentId, target, backup });
      rollback.databaseRestored = r.restored;
      rollback.failedDatabaseKeptAs = r.keptAs;
    });
    const migrated = await run.step('migrate', 'Apply migrations (prisma migrate deploy)', () => changing.migrateDatabase({ target }), (r) => `applied: ${r.applied.join(', ') || 'none'}`);
    run.report.migrations.applied = migrated.applied;
    await run.step('restart', `Restart ${what} on ${release.target.name}`, () => changing.restartApplication({ target, step: 'restart' }), (r) => `healthy after ${r.healthyAfterMs} ms`);
    const verified = await run.step('verify', `Verify ${release.target.name}: health, checks, schema, data`, () => changing.verifyDeployment({ target, release: release.target, baseline, runId: `${deploymentId}-verify`, step: 'verify' }).catch((err) => {
      run.addChecks(run.report.checks, checksOf(err));
      throw err;
    }), (r) => `${r.checks.length} checks passed`);
    run.addChecks(run.report.checks, verified.checks);
    return run.finish('deployed');
  } catch (err) {
    if (undo.isEmpty) return run.finish('aborted', err);
    run.report.rollback = rollback;
    rollback.reason = applicationFailureOf(err)?.message ?? (err as Error).message;
    const result = await undo.runAll();
    rollback.verified = result.outcome === 'rolled-back';
    rollback.leftForHumans = manualSteps(result.remaining, { target, previousCommit: previous?.commit, backupPath });
    return run.finish(result.outcome, err);
  }
}
