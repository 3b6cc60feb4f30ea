import type { BackupFacts } from '../../shared/backupFacts.js';
import { backupRecord, backupSummary } from '../../plan/backupReport.js';
import { call, changing } from '../activities.js';
import type { Runbook } from '../deployment.js';

type Proxy = typeof changing;

/** The backup as the runbook sees it: the facts once proven, and what finishes it after the pause. */
export interface Backup {
  /** The backup's facts once fingerprinted; the migration waits for them. */
  proven(): Promise<BackupFacts>;
  /** The same for an undo (shielded from cancellation): proven again if the forward proof never ended. */
  provenForUndo(proxy: Proxy, step: 'restore-database' | 'verify-rollback'): Promise<BackupFacts>;
  /** After writes resume: the off-server pg_dump of a snapshot (nothing to do for method `dump`). */
  finish(): Promise<void>;
}

/**
 * The safety net, inside the write pause, on the first host. `dump`: pg_dump with its
 * fingerprint, all in the pause (its consistent point is the dump itself: its locks would hold
 * the migration anyway). `snapshot` (`split`): only the template copy holds the pause; its
 * fingerprint and seal run beside the code and dependency steps, and its pg_dump once writes
 * resumed — the deployment ends only when that dump is verified too.
 */
export async function takeBackup(runbook: Runbook, split: boolean): Promise<Backup> {
  const { run, step, deploymentId, first: host, target, what } = runbook;
  let latest: BackupFacts | undefined; // with its dump once dump-backup ended: a restore may need it
  const record = (facts: BackupFacts) => {
    latest = facts;
    runbook.facts.backupPath = facts.dump?.path;
    runbook.facts.snapshotDatabase = facts.snapshot?.database;
    run.report.backup = backupRecord(facts);
    return facts;
  };
  if (!split) {
    const summary = `Back up the ${what} database`;
    const facts = record(
      await step(host, 'backup', summary, changing.backupDatabase, { deploymentId, target }, backupSummary),
    );
    return { proven: async () => facts, provenForUndo: async () => facts, finish: async () => undefined };
  }

  const copy = await step(
    host,
    'backup',
    { step: `Copy the ${what} database in its cluster (snapshot)`, activity: `Copy the ${what} database (snapshot)` },
    changing.copyDatabaseForBackup,
    { deploymentId, target },
    (snapshot) => `snapshot ${snapshot.database} (database closed ${snapshot.closedMs} ms)`,
  );
  runbook.facts.snapshotDatabase = copy.database;
  // With a dump to follow, the fingerprint before the migration reads schema, rows and migrations;
  // the dump's own reading adds every table's checksum once writes resumed.
  const reads = target.backup.dump ? ' (schema, rows, migrations)' : '';
  const summary = `Fingerprint${reads} and seal the snapshot ${copy.database}`;
  const fingerprint = { deploymentId, target, copy };
  const fingerprinted = step(
    host,
    'fingerprint-backup',
    summary,
    changing.fingerprintBackup,
    { ...fingerprint, step: 'fingerprint-backup', checksums: !target.backup.dump },
    backupSummary,
  ).then(record);
  fingerprinted.catch(() => undefined); // awaited by the migration, or by an undo; never left unhandled
  return {
    proven: () => fingerprinted,
    // The forward proof may still run (a step beside it failed): wait for it; cut short or failed, prove it again.
    provenForUndo: async (proxy, undoStep) =>
      latest ??
      fingerprinted.catch(async () =>
        record(
          await call(host, proxy.fingerprintBackup, `${summary} (the rollback needs it)`, {
            ...fingerprint,
            step: undoStep,
          }),
        ),
      ),
    finish: async () => {
      if (!target.backup.dump) return;
      const proven = await fingerprinted;
      const dumped = `Dump the sealed snapshot off the server (pg_dump), verified`;
      const input = { deploymentId, target, backup: proven };
      record(await step(host, 'dump-backup', dumped, changing.dumpBackup, input, backupSummary));
    },
  };
}
