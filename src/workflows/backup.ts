import type { BackupFacts } from '../activities/database.js';
import { backupRecord, backupSummary } from '../plan/backupReport.js';
import { call, changing } from './activities.js';
import type { Host } from './hosts.js';
import type { Deployment } from './runbook.js';

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
 * The safety net, inside the write pause. `dump`: pg_dump with its fingerprint, all in the
 * pause (its consistent point is the dump itself: its locks would hold the migration anyway).
 * `snapshot` (`split`): only the template copy holds the pause; its fingerprint and seal run
 * beside the code and dependency steps, and its pg_dump once writes resumed — the deployment
 * ends only when that dump is verified too.
 */
export async function takeBackup(d: Deployment, host: Host, split: boolean): Promise<Backup> {
  const { run, deploymentId } = d;
  const t = host.target;
  const what = `${t.app} ${t.environment}`;
  let latest: BackupFacts | undefined; // with its dump once dump-backup ended: a restore may need it
  const record = (b: BackupFacts) => {
    latest = b;
    d.facts.backupPath = b.dump?.path;
    d.facts.snapshotDatabase = b.snapshot?.database;
    run.report.backup = backupRecord(b);
    return b;
  };
  if (!split) {
    const b = record(
      await run.step(
        'backup',
        `Back up the ${what} database`,
        () => call(host, changing.backupDatabase, `Back up the ${what} database`, { deploymentId, target: t }),
        backupSummary,
      ),
    );
    return { proven: async () => b, provenForUndo: async () => b, finish: async () => undefined };
  }

  const copy = await run.step(
    'backup',
    `Copy the ${what} database in its cluster (snapshot)`,
    () =>
      call(host, changing.copyDatabaseForBackup, `Copy the ${what} database (snapshot)`, {
        deploymentId,
        target: t,
      }),
    (c) => `snapshot ${c.database} (database closed ${c.closedMs} ms)`,
  );
  d.facts.snapshotDatabase = copy.database;
  // With a dump to follow, the fingerprint before the migration reads schema, rows and migrations;
  // the dump's own reading adds every table's checksum once writes resumed.
  const summary = `Fingerprint${t.backup.dump ? ' (schema, rows, migrations)' : ''} and seal the snapshot ${copy.database}`;
  const fingerprinted = run
    .step(
      'fingerprint-backup',
      summary,
      () =>
        call(host, changing.fingerprintBackup, summary, {
          deploymentId,
          target: t,
          copy,
          step: 'fingerprint-backup',
          checksums: !t.backup.dump,
        }),
      backupSummary,
    )
    .then(record);
  fingerprinted.catch(() => undefined); // awaited by the migration, or by an undo; never left unhandled
  return {
    proven: () => fingerprinted,
    // The forward proof may still run (a step beside it failed): wait for it; cut short or failed, prove it again.
    provenForUndo: async (proxy, step) =>
      latest ??
      fingerprinted.catch(async () =>
        record(
          await call(host, proxy.fingerprintBackup, `${summary} (the rollback needs it)`, {
            deploymentId,
            target: t,
            copy,
            step,
          }),
        ),
      ),
    finish: async () => {
      if (!t.backup.dump) return;
      const b = await fingerprinted;
      const dumped = `Dump the sealed snapshot off the server (pg_dump), verified`;
      record(
        await run.step(
          'dump-backup',
          dumped,
          () => call(host, changing.dumpBackup, dumped, { deploymentId, target: t, backup: b }),
          backupSummary,
        ),
      );
    },
  };
}
