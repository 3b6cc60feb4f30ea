import type { BackupFacts } from '../../shared/backupFacts.js';
import { call, changing } from '../activities.js';
import type { Runbook } from '../deployment.js';
import { checksOf } from '../failures.js';
import { eachHost, onHost } from '../hosts.js';
import { othersMayHaveWritten, type Writes } from '../writes.js';
import type { Backup } from './backup.js';
import type { Pause } from './pauseWrites.js';

/** Every table's row count in the backup: what verification expects kept. */
export const baselineOf = (backup: BackupFacts) => backup.state.tables.map(({ name, rows }) => ({ name, rows }));

/**
 * The rollback's last undos, registered before the release is activated so that they run last:
 * every host ends on its previous release, restarted and verified.
 */
export function undoWithRestartAndVerify(runbook: Runbook, backup: Backup, writes: Writes): void {
  const { deploymentId, hosts, what, undo, undoing, run, rollback } = runbook;
  // A code-only rollback keeps the database: proven by every row of the backup still being the very
  // row version the backup holds (a restore is proven by the restore itself, by content).
  const keptDataProof = (facts: BackupFacts) =>
    rollback.strategy === 'code-only' && facts.state.xidBoundary
      ? {
          unchangedSince: {
            boundary: facts.state.xidBoundary,
            tables: baselineOf(facts),
            othersMayHaveWritten: othersMayHaveWritten(writes),
          },
        }
      : {};
  for (const host of [...hosts].reverse()) {
    const on = onHost(hosts, host);
    const previous = host.release!.current;
    const verifySummary = `Verify ${previous.name} is live and whole again${on}`;
    undo.add('verify-rollback', verifySummary, async () => {
      const facts = await backup.provenForUndo(undoing, 'verify-rollback');
      const verified = await call(host, undoing.verifyDeployment, verifySummary, {
        target: host.target,
        release: previous,
        baseline: baselineOf(facts),
        runId: `${deploymentId}-rollback${hosts.length > 1 ? `-${host.name}` : ''}`,
        step: 'verify-rollback',
        migrationsMustBeClean: rollback.strategy !== 'code-only',
        ...keptDataProof(facts),
      }).catch((err) => {
        run.addChecks(rollback.checks, checksOf(err));
        throw err;
      });
      run.addChecks(rollback.checks, verified.checks);
      return `${verified.checks.length} checks passed`;
    });
    const restartSummary = `Restart ${what} on ${previous.name}${on}`;
    undo.add('restart-previous', restartSummary, () =>
      call(host, undoing.restartApplication, restartSummary, { target: host.target, step: 'restart-previous' }).then(
        (restarted) => `healthy after ${restarted.healthyAfterMs} ms`,
      ),
    );
  }
}

/** Every host restarted on the target and verified: health, checks, schema, data (`baseline`: the rows kept). */
export async function restartAndVerify(
  runbook: Runbook,
  releaseBaseline: ReturnType<typeof baselineOf>,
  ownWrites: Pause['ownWrites'],
): Promise<void> {
  const { deploymentId, hosts, what, release, run, step } = runbook;
  await eachHost(hosts, runbook.target.rollout, async (host) => {
    const on = onHost(hosts, host);
    const input = { target: host.target, step: 'restart' } as const;
    await step(
      host,
      'restart',
      `Restart ${what} on ${release.target.name}${on}`,
      changing.restartApplication,
      input,
      (restarted) => `healthy after ${restarted.healthyAfterMs} ms`,
    );
    const summary = `Verify ${release.target.name}: health, checks, schema, data${on}`;
    const verified = await run.step(
      'verify',
      summary,
      () =>
        ownWrites(() =>
          call(host, changing.verifyDeployment, summary, {
            target: host.target,
            release: release.target,
            baseline: releaseBaseline,
            runId: `${deploymentId}-verify${hosts.length > 1 ? `-${host.name}` : ''}`,
            step: 'verify',
          }),
        ).catch((err) => {
          run.addChecks(run.report.checks, checksOf(err));
          throw err;
        }),
      (passed) => `${passed.checks.length} checks passed`,
    );
    const checks = verified.checks.map((c) => (hosts.length > 1 ? { ...c, name: `${host.name}: ${c.name}` } : c));
    run.addChecks(run.report.checks, checks);
  });
}
