import type { BackupFacts } from '../../shared/backupFacts.js';
import { restoreSummary } from '../../plan/backupReport.js';
import { restoreAnyway, type RollbackStrategy } from '../../plan/rollbackPlan.js';
import { durationMs } from '../../shared/duration.js';
import { call } from '../activities.js';
import type { Runbook } from '../deployment.js';
import { lostWritesUndo } from '../lostWrites.js';
import { Skipped } from '../skipped.js';
import type { Backup } from './backup.js';
import type { Pause } from './pauseWrites.js';
import { baselineOf } from './restartAndVerify.js';

/**
 * The row counts the release's verification expects kept. Rows an approved migration removes (a
 * table dropped, emptied, deleted from) are not lost data: the verification of the release does
 * not expect them, and the report says what was approved.
 */
export function baselineForRelease(runbook: Runbook, approvedBy: string | undefined) {
  const { run, fixes } = runbook;
  const findings = (run.report.lint ?? []).flatMap((linted) => linted.findings);
  const removesRowsOf = findings.flatMap((finding) => (finding.removesRowsOf ? [finding.removesRowsOf] : []));
  const approvedLoss = approvedBy ? [...new Set(removesRowsOf)] : [];
  return (facts: BackupFacts) => {
    const baseline = baselineOf(facts);
    if (approvedLoss.length > 0)
      run.report.approvedDataLoss = approvedLoss.map((table) => ({
        table,
        rowsAtBackup: baseline.find((counted) => counted.name === table)?.rows,
        approvedBy: approvedBy!,
      }));
    return fixes.baseline(baseline).filter((counted) => !approvedLoss.includes(counted.name));
  };
}

/**
 * The migration, once the backup is proven (fingerprinted and sealed). Its undo is registered
 * before it, as a migration can fail half-way: the backup comes back — unless the plan keeps the
 * database, or people wrote since and decide to keep it (the lost-writes undos run first).
 */
export async function migrate(
  runbook: Runbook,
  before: {
    backup: Backup;
    pause: Pause;
    plan: RollbackStrategy;
    releaseBaselineOf: ReturnType<typeof baselineForRelease>;
  },
) {
  const { deploymentId, first, target, what, run, gates, undo, undoing, rollback, fixes, history } = runbook;
  const { backup, pause, plan } = before;
  const releaseBaseline = before.releaseBaselineOf(await backup.proven());
  let migrateSucceeded = false;
  const keepByPlan = () =>
    plan.strategy === 'code-only' &&
    !restoreAnyway(plan, {
      migrateSucceeded,
      dataCheckFailed: run.report.checks.some((c) => c.kind === 'data' && !c.ok),
    });
  const lost = lostWritesUndo({
    run,
    gates,
    target,
    host: first,
    proxy: undoing,
    writes: pause.writes,
    what,
    rollback,
    approvalTimeoutMs: durationMs(target.approval.timeout),
    restoring: () => !keepByPlan(),
  });
  const restore = `Restore the ${what} database from the backup`;
  undo.add('restore-database', restore, async () => {
    if (keepByPlan() || lost.keepDatabase()) {
      rollback.strategy = 'code-only';
      return new Skipped(`kept the database: ${keepByPlan() ? plan.why : lost.why()}`);
    }
    const restored = await call(first, undoing.restoreDatabase, restore, {
      deploymentId,
      target,
      backup: await backup.provenForUndo(undoing, 'restore-database'),
    });
    rollback.strategy = 'restore-database';
    rollback.databaseRestored = restored.restored;
    rollback.restoredFrom = restored.source;
    rollback.failedDatabaseKeptAs = runbook.facts.keptAs = restored.keptAs;
    return restoreSummary(restored);
  });
  undo.add('approve-lost-writes', 'Ask before throwing away writes made since the backup', () => lost.ask());
  undo.add('check-lost-writes', 'Count writes made since the backup by others', () => lost.count());

  const migration = fixes.migration(history.pendingForTarget); // prisma migrate deploy, or an approved reset
  const migrated = await run.step(
    'migrate',
    migration.summary,
    () => pause.ownWrites(migration.run),
    migration.describe,
  );
  migrateSucceeded = true;
  run.report.migrations!.applied = migrated.applied;
  return releaseBaseline;
}
