import type { BackupFacts, RestoreFacts } from '../shared/backupFacts.js';
import type { DeploymentReport } from '../shared/report.js';

/** The report's view of a backup: the dump's file and checksum, the snapshot's name, rows per table. */
export function backupRecord(b: BackupFacts): NonNullable<DeploymentReport['backup']> {
  return {
    method: b.method,
    ...(b.dump ? { path: b.dump.path, format: b.dump.format, sizeBytes: b.dump.sizeBytes, sha256: b.dump.sha256 } : {}),
    ...(b.snapshot
      ? { snapshot: { database: b.snapshot.database, sizeBytes: b.snapshot.sizeBytes, closedMs: b.snapshot.closedMs } }
      : {}),
    tables: b.state.tables.map(({ name, rows }) => ({ name, rows })),
  };
}

/** One line for the backup step. */
export function backupSummary(b: BackupFacts): string {
  const dump = b.dump && `${b.dump.path} (${b.dump.sizeBytes} bytes, sha256 ${b.dump.sha256.slice(0, 12)})`;
  if (!b.snapshot) return dump!;
  return (
    `snapshot ${b.snapshot.database} (${b.snapshot.sizeBytes} bytes; database closed ${b.snapshot.closedMs} ` +
    `ms)${dump ? `, dump ${dump}` : ''}`
  );
}

/** One line for the restore step: what it came back from, how it was proven. */
export function restoreSummary(r: RestoreFacts): string {
  if (!r.restored) return 'the database already equalled the backup';
  const how = r.source === 'snapshot' ? 'renamed the snapshot in' : 'restored the dump';
  const from = r.changed ? how : `already ${how} by an earlier attempt`;
  const proof =
    r.verification === 'sealed'
      ? 'sealed since its fingerprint'
      : r.verification === 'untouched'
        ? 'every row the version the copy was made with'
        : 'every checksum';
  return (
    `${from} (${proof} verified, database closed ${r.closedMs} ms)` +
    `${r.note ? ` — ${r.note}` : ''}; the failed database is kept as ${r.keptAs}`
  );
}
