import { patched } from '@temporalio/workflow';
import type { Outcome } from '../shared/report.js';
import { durationMs } from '../shared/duration.js';
import { undoing } from './activities.js';
import type { Deployment, Runbook } from './deployment.js';
import { MigrationFixes } from './migrationFixes.js';
import { activateRelease } from './phases/activate.js';
import { approveMigrationRisks } from './phases/approval.js';
import { takeBackup } from './phases/backup.js';
import { baselineForRelease, migrate } from './phases/migrate.js';
import { pauseWrites } from './phases/pauseWrites.js';
import { runPreChecks } from './phases/preChecks.js';
import { prune } from './phases/prune.js';
import { dryRun, planTheRollback, rehearseBeforePause, rehearseInPause } from './phases/rehearse.js';
import { restartAndVerify, undoWithRestartAndVerify } from './phases/restartAndVerify.js';
import { resumeWrites } from './phases/resumeWrites.js';
import { stageRelease } from './phases/stage.js';
import { monitorRelease } from './waiting.js';

/**
 * The runbook's forward steps, each phase registering its changes' undos beside its steps:
 * pre-checks → approval → stage (checkout, npm ci, build) → rehearse on an online copy → writes
 * paused → backup → code and dependencies on every host (in place: the staged install moved in)
 * → migrate → restart and verify every host → writes resumed → monitoring → prune.
 */
export async function followRunbook(deployment: Deployment): Promise<Outcome> {
  const { request, hosts } = deployment;
  const first = hosts[0]!;
  const target = first.target;
  // The undos' activities: retried through outages for rollback.retryFor (absent from configs loaded before it).
  const undoProxy = undoing(durationMs(target.rollback?.retryFor ?? '10 minutes'));

  const { release, history, gate } = await runPreChecks(deployment);
  deployment.facts.previousCommit = release.current.commit;
  const fixes = new MigrationFixes(deployment, { gate, release });
  const runbook: Runbook = {
    ...deployment,
    first,
    target,
    what: `${target.app} ${target.environment}`,
    releases: target.codeLayout === 'releases',
    undoing: undoProxy,
    release,
    history,
    gate,
    fixes,
  };
  await fixes.askResolution(); // a failed migration the triage can resolve: its own gate
  const approvedBy = await approveMigrationRisks(runbook);

  const rehearse = history.pendingForTarget.length > 0 && target.rehearsal.enabled && !fixes.resetting;
  const staging = await stageRelease(runbook, rehearse);
  await fixes.resolve(staging.dirs.get(first), staging.unstage);
  if (request.dryRun) return dryRun(runbook, staging, rehearse);
  const rehearsedFirst = await rehearseBeforePause(runbook, staging, rehearse);

  const from = `${release.current.name} → ${release.target.name}`;
  const why = request.reason ? ` (${request.reason})` : '';
  const by = request.requestedBy ? `, by ${request.requestedBy}` : '';
  await runbook.notify('started', `${from}${why}${by}`);
  const pause = await pauseWrites(runbook);

  // Method snapshot: only the copy holds the pause; its fingerprint runs beside the code steps and
  // its pg_dump after writes resume. Histories recorded before took the whole backup in the pause.
  const split =
    rehearsedFirst !== undefined && target.backup?.method === 'snapshot' && patched('backup-proven-beside-release');
  const backup = await takeBackup(runbook, split);
  const releaseBaselineOf = baselineForRelease(runbook, approvedBy);
  if (!split) releaseBaselineOf(await backup.proven()); // the report's order as before
  const rehearsed = rehearsedFirst ?? (await rehearseInPause(runbook, staging, backup, rehearse));
  // Deployments that planned before the measurement existed keep their plan (their histories replay).
  const measured = patched('measured-rollback-plan') ? rehearsed.existingDataChanges : [];
  const plan = planTheRollback(runbook, rehearsed, measured);
  runbook.run.report.rollbackPlan = plan;

  undoWithRestartAndVerify(runbook, backup, pause.writes); // registered first, so they run last
  await activateRelease(runbook, staging);
  const releaseBaseline = await migrate(runbook, { backup, pause, plan, releaseBaselineOf });
  await restartAndVerify(runbook, releaseBaseline, pause.ownWrites);
  await resumeWrites(runbook, pause);

  await backup.finish(); // the snapshot's off-server dump: the deployment ends only once it is verified
  await staging.unstage(); // in place: the staged copies, their node_modules and build moved in, are no longer needed
  const minutes = request.monitorMinutes ?? target.monitor.minutes;
  await monitorRelease(hosts, minutes, durationMs(target.monitor.interval), runbook.run);
  await prune(runbook, staging);
  return 'deployed';
}
