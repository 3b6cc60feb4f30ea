import type { DatabaseState } from './databaseState.js';

/** What a backup and a restore report: activity results the workflow, the plan and the CLI read. */

export interface DumpFacts {
  path: string;
  format: 'custom' | 'directory';
  sizeBytes: number;
  sha256: string;
  /** Entries listed by `pg_restore --list`: the archive reads end to end. */
  archiveEntries: number;
  durationMs: number;
  /** pg_dump, fingerprint, pg_restore --list, sha256. */
  phasesMs: Record<string, number>;
}

/**
 * FILE_COPY, by measurement (PostgreSQL 15, fsync on, 2 shared cores; `npm run bench`, README
 * "Performance"). Copy time, FILE_COPY vs WAL_LOG:
 *   1 GB:   3.7 s vs 4.4 s (bench);  2.6 / 3.1 / 3.3 s vs 6.0 / 7.1 / 7.6 s (three earlier tries)
 *   500 MB: 0.9 s vs 1.4 s
 *   100 MB: 0.13 s vs 0.27 s (bench);  0.65 / 1.3 / 1.6 s vs 0.59 / 0.68 / 0.73 s (earlier)
 * and FILE_COPY writes no WAL where WAL_LOG writes the whole database into it (921 MB for 1 GB),
 * which replicas and WAL archives must carry. The door is closed for the copy, so the large case
 * decides. FILE_COPY's cost is two immediate checkpoints: small while writes are paused.
 */
export const SNAPSHOT_STRATEGY = 'FILE_COPY';

export interface SnapshotFacts {
  database: string;
  /** pg_database oid and row version (xmin) when sealed: both unchanged ⇒ nobody opened it since. */
  oid: number;
  sealXmin: string;
  strategy: typeof SNAPSHOT_STRATEGY;
  sizeBytes: number;
  /** How long the app could not reach its database: the door was closed for the copy. */
  closedMs: number;
  copyMs: number;
}

/**
 * How a restore proved what it put back: `sealed` (the snapshot's seal intact since its
 * fingerprint), `full` (every checksum read again), `untouched` (a fingerprint without checksums:
 * schema, rows and migrations equal, and every row the version the copy was made with).
 */
export type RestoreVerification = 'sealed' | 'full' | 'untouched';

export interface BackupFacts {
  method: 'dump' | 'snapshot';
  /** The pg_dump: always with `dump`; with `snapshot` unless `backup.dump` is false (it is the off-server copy). */
  dump?: DumpFacts;
  /** The copy in the same cluster that a rollback renames in (method `snapshot`). */
  snapshot?: SnapshotFacts;
  /**
   * Fingerprint of what was backed up (schema, rows and checksum per table, migrations): a restore must reproduce it.
   */
  state: DatabaseState;
  durationMs: number;
  /** Where the time went (copy, pg_dump, fingerprint, seal, …). */
  phasesMs: Record<string, number>;
}

/** The snapshot method's part inside the write pause: the copy alone (the pause then holds only it). */
export interface SnapshotCopy {
  database: string;
  /** pg_snapshot_xmin read while production had no session: see DatabaseState.xidBoundary. */
  xidBoundary: string;
  closedMs: number;
  copyMs: number;
  durationMs: number;
}

export interface RestoreFacts {
  /** false when the database already matched the backup (nothing changed it, or a retry after the swap). */
  restored: boolean;
  /** Whether this run swapped production; false when an earlier run (or attempt) already had. */
  changed: boolean;
  /** What the database came back from. */
  source: 'snapshot' | 'dump';
  /** Why a snapshot backup was restored from its dump (the snapshot was gone or had changed). */
  note?: string;
  /** The failed deployment's database, kept aside for inspection. */
  keptAs?: string;
  verified: true;
  /**
   * `sealed`: the snapshot was closed since its fingerprint, so schema, rows and migrations were checked;
   * `full`: every checksum too; `untouched`: no row written since the copy (a fingerprint without checksums).
   */
  verification: RestoreVerification;
  tables: number;
  /** How long production's name led to no open database (the app's outage during the swap). */
  closedMs: number;
  /** Where the time went (seal, swap, pg_restore, verify, …). */
  phasesMs: Record<string, number>;
  durationMs: number;
}
