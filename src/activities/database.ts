import { join } from 'node:path';
import { withDatabase, type DbTarget } from '../commands/pg.js';
import type { TargetConfig } from '../config/schema.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import { pruneBackups, type PruneFacts, type PruneInput } from '../postgres/backupRetention.js';
import { allowConnections, databaseRow } from '../postgres/catalog.js';
import { dumpWithFingerprint, fingerprint, restoreFromDump } from '../postgres/dump.js';
import type { BackupFacts, RestoreFacts, SnapshotCopy } from '../shared/backupFacts.js';
import { copyDatabase, restoreFromSnapshot, sealDatabase, sealSnapshot } from '../postgres/snapshot.js';
import { partialDumpPath } from '../postgres/partialDumps.js';
import { diffStates, tablesWrittenSince } from '../postgres/state.js';
import { resolveDatabase, type ActivityDeps } from './activityDeps.js';
import { outageAware, outageWaitOf } from '../postgres/outage.js';
import { ownDatabaseName, ownerOf } from '../postgres/ownDatabases.js';
import { withClient } from '../postgres/pgClient.js';
import { ensurePrivateDir, makePrivate, writePrivateFile } from '../release/privateFiles.js';
import { Phases } from '../postgres/phases.js';

export type { PruneFacts, PruneInput } from '../postgres/backupRetention.js';

export interface BackupInput {
  deploymentId: string;
  target: TargetConfig;
}

export interface FingerprintBackupInput {
  deploymentId: string;
  target: TargetConfig;
  copy: SnapshotCopy;
  /** Which step asks: the forward `fingerprint-backup`, or a rollback that needs the backup it could not wait for. */
  step?: 'fingerprint-backup' | 'restore-database' | 'verify-rollback';
  /**
   * false: schema, rows and migrations only — the checksums come with the dump after the pause
   * (reading every row's content costs the pause seconds per GB). Default true.
   */
  checksums?: boolean;
}

export interface DumpBackupInput {
  deploymentId: string;
  target: TargetConfig;
  backup: BackupFacts;
}

export interface RestoreInput {
  deploymentId: string;
  target: TargetConfig;
  backup: BackupFacts;
}

export function backupPath(t: TargetConfig, deploymentId: string): string {
  return join(
    t.backup.dir,
    `${t.app}-${t.environment}-${deploymentId}${t.backup.format === 'custom' ? '.dump' : '.dir'}`,
  );
}

/** Why a template copy failed, and whether trying again can help. */
function snapshotFailure(e: unknown, database: string) {
  const code = (e as { code?: string }).code;
  const why = (e as Error).message;
  if (code === '55006') {
    return deployFailure(FailureType.BackupUnverified, {
      step: 'backup',
      what: `cannot copy ${database}: sessions the role cannot end are connected to it (${why})`,
      remedy: "grant the role pg_signal_backend, or use backup.method 'dump'",
      retryable: true,
    });
  }
  if (code === '42501' || code === '53100') {
    return deployFailure(FailureType.BackupUnverified, {
      step: 'backup',
      what: `cannot copy ${database}: ${why}`,
      remedy:
        code === '53100'
          ? "free space in the cluster's data directory, or use backup.method 'dump'"
          : 'the role must own the database and have CREATEDB',
      retryable: false,
    });
  }
  return deployFailure(FailureType.BackupUnverified, {
    step: 'backup',
    what: `cannot copy ${database}: ${why}`,
    remedy: 'check the database server and start again',
    retryable: true,
  });
}

export function createDatabaseActivities(deps: ActivityDeps) {
  /** Beside the dump, for a person restoring by hand (and for pruning): what it holds and how to check it. */
  const describeDump = async (t: TargetConfig, deploymentId: string, facts: BackupFacts) => {
    await makePrivate(facts.dump!.path); // pg_dump wrote it with the worker's umask
    await writePrivateFile(
      `${facts.dump!.path}.json`,
      JSON.stringify(
        { deploymentId, app: t.app, environment: t.environment, createdAt: new Date().toISOString(), ...facts },
        null,
        2,
      ),
    );
  };

  return {
    /**
     * The safety net, by `backup.method`. `dump`: pg_dump, verified (the archive lists, its size
     * and sha256 are recorded) with a fingerprint read in the very snapshot the dump reads.
     * `snapshot`: a copy in the same cluster, fingerprinted and sealed, plus (unless `backup.dump`
     * is false) a pg_dump of that copy, equal to the same fingerprint.
     */
    async backupDatabase({ deploymentId, target: t }: BackupInput): Promise<BackupFacts> {
      const { db } = resolveDatabase(deps, t, 'backup');
      // After an outage (or a restart under it) the retry waits for PostgreSQL and backs up again.
      return outageAware(db, 'backup', () => backUp(t, db, deploymentId), { waitMs: outageWaitOf(t) });
    },

    /**
     * The snapshot method split around the write pause, part 1 (inside it): the copy of production
     * in its cluster, production's door closed only for the copy. Nothing is read from the copy
     * yet: a template copy is production's files at the boundary, byte for byte.
     */
    async copyDatabaseForBackup({ deploymentId, target: t }: BackupInput): Promise<SnapshotCopy> {
      const { db } = resolveDatabase(deps, t, 'backup');
      return outageAware(
        db,
        'backup',
        async () => {
          const started = Date.now();
          const { name, ...copied } = await withClient(withDatabase(db, t.database.maintenanceDatabase), (c) =>
            copyDatabase(c, ownerOf(t, db), deploymentId).catch((e) => {
              throw snapshotFailure(e, db.database);
            }),
          );
          return { database: name, ...copied, durationMs: Date.now() - started };
        },
        { waitMs: outageWaitOf(t) },
      );
    },

    /**
     * Part 2, beside the release's first steps (production is not read): the copy's fingerprint
     * (schema, rows and checksum per table, migrations), then its seal. The migration waits for
     * it: the database changes only once the backup is proven and sealed. Again at any time: a
     * sealed copy is opened, read and sealed again.
     */
    async fingerprintBackup({
      target: t,
      copy,
      step = 'fingerprint-backup',
      checksums = true,
    }: FingerprintBackupInput): Promise<BackupFacts> {
      const { db } = resolveDatabase(deps, t, step);
      return outageAware(
        db,
        step,
        async () => {
          const started = Date.now();
          const phases = new Phases();
          const maintenance = withDatabase(db, t.database.maintenanceDatabase);
          const snapshot = withDatabase(db, copy.database);
          const own = await withClient(maintenance, async (c) => {
            const row = await databaseRow(c, copy.database);
            if (row && !row.allowConnections) await allowConnections(c, copy.database, true);
            return row;
          });
          if (!own)
            throw deployFailure(FailureType.BackupUnverified, {
              step,
              what: `the snapshot ${copy.database} is gone`,
              remedy: 'start the deployment again (nothing was migrated yet)',
              retryable: false,
            });
          const state = await phases.time('fingerprint', () =>
            withClient(snapshot, (c) => fingerprint(t, snapshot, c, { checksums })),
          );
          return {
            method: 'snapshot',
            snapshot: await phases.time('seal', () => withClient(maintenance, (c) => sealSnapshot(c, copy))),
            state: { ...state, xidBoundary: copy.xidBoundary },
            durationMs: copy.durationMs + Date.now() - started,
            phasesMs: { copy: copy.durationMs, ...phases.ms },
          };
        },
        { waitMs: outageWaitOf(t) },
      );
    },

    /**
     * Part 3, once writes resumed: the off-server pg_dump of the sealed copy, with the full
     * fingerprint (every table's checksum) read in the dump's own snapshot and held against the
     * one taken before the migration (schema, rows, migrations; checksums when it has them).
     * Sealed again after; the deployment ends only once this holds.
     */
    async dumpBackup({ deploymentId, target: t, backup }: DumpBackupInput): Promise<BackupFacts> {
      const { db } = resolveDatabase(deps, t, 'dump-backup');
      const s = backup.snapshot!;
      return outageAware(
        db,
        'dump-backup',
        async () => {
          const maintenance = withDatabase(db, t.database.maintenanceDatabase);
          await ensurePrivateDir(t.backup.dir, { field: 'backup.dir', step: 'dump-backup', tighten: true });
          const row = await withClient(maintenance, (c) => databaseRow(c, s.database));
          if (!row || row.oid !== s.oid)
            throw deployFailure(FailureType.BackupUnverified, {
              step: 'dump-backup',
              what: `the snapshot ${s.database} is gone`,
              remedy: 'the release is live: take a pg_dump of production by hand, or roll back',
              retryable: false,
            });
          const intact = row.xmin === s.sealXmin && !row.allowConnections;
          await withClient(maintenance, (c) => allowConnections(c, s.database, true));
          const copy = withDatabase(db, s.database);
          if (!intact && backup.state.xidBoundary && backup.state.tables.some((x) => x.checksum === undefined)) {
            // Opened since its fingerprint (an earlier attempt of this step, or someone), which has no
            // checksums to hold the content against: every row must still be the version the copy was made with.
            const touched = await withClient(copy, (c) =>
              tablesWrittenSince(c, backup.state.tables, backup.state.xidBoundary!),
            );
            if (touched.length > 0)
              throw deployFailure(FailureType.BackupUnverified, {
                step: 'dump-backup',
                what:
                  `the snapshot ${s.database} was written since its fingerprint ` +
                  `(${touched.map((x) => x.name).join(', ')})`,
                remedy: 'the release is live: take a pg_dump of production by hand, or roll back',
                retryable: false,
              });
          }
          const { dump, state: read } = await dumpWithFingerprint(
            t,
            copy,
            backupPath(t, deploymentId),
            partialDumpPath(t, deploymentId),
            { step: 'dump-backup' },
          );
          // The boundary is production's, read when the copy was made (the dump's would be the copy's own).
          const state = { ...read, xidBoundary: backup.state.xidBoundary };
          const sealed = await withClient(maintenance, (c) => sealDatabase(c, s.database));
          const diffs = diffStates(backup.state, state);
          if (diffs.length > 0)
            throw deployFailure(FailureType.BackupUnverified, {
              step: 'dump-backup',
              what: `the snapshot ${s.database} changed since its fingerprint (${diffs.join('; ')})`,
              remedy: 'inspect it; take a pg_dump of production by hand',
              retryable: false,
            });
          const facts: BackupFacts = {
            ...backup,
            dump,
            state,
            snapshot: { ...s, sealXmin: sealed.xmin },
            durationMs: backup.durationMs + dump.durationMs,
            phasesMs: { ...backup.phasesMs, ...dump.phasesMs },
          };
          await describeDump(t, deploymentId, facts);
          return facts;
        },
        { waitMs: outageWaitOf(t) },
      );
    },

    /**
     * Puts the backup back, never half-way: the snapshot is renamed in (proven by its seal or a
     * full fingerprint), else the dump is restored into a scratch database, proven equal, and
     * renamed in. Production is renamed aside and kept. Safe to run again at any stage, so an
     * outage is waited out and the restore run again.
     */
    async restoreDatabase({ deploymentId, target: t, backup }: RestoreInput): Promise<RestoreFacts> {
      const { db } = resolveDatabase(deps, t, 'restore-database');
      return outageAware(db, 'restore-database', () => restore(t, db, deploymentId, backup), {
        waitMs: outageWaitOf(t),
      });
    },

    /** Retention: see backupRetention.ts. Call it at the end of a deployment, while its lock is held. */
    async pruneBackups(input: PruneInput): Promise<PruneFacts> {
      return pruneBackups(deps, input);
    },
  };

  async function backUp(t: TargetConfig, db: DbTarget, deploymentId: string): Promise<BackupFacts> {
    const started = Date.now();
    const path = backupPath(t, deploymentId);
    // Production's data goes there: a folder of the worker's that nobody else can enter.
    if (t.backup.dump) await ensurePrivateDir(t.backup.dir, { field: 'backup.dir', step: 'backup', tighten: true });
    if (t.backup.method === 'dump') {
      const { dump, state } = await dumpWithFingerprint(t, db, path, partialDumpPath(t, deploymentId));
      const facts: BackupFacts = {
        method: 'dump',
        dump,
        state,
        durationMs: Date.now() - started,
        phasesMs: dump.phasesMs,
      };
      await describeDump(t, deploymentId, facts);
      return facts;
    }

    const maintenance = withDatabase(db, t.database.maintenanceDatabase);
    const phases = new Phases();
    const {
      name: snapshot,
      xidBoundary,
      ...copied
    } = await phases.time('copy', () =>
      withClient(maintenance, (c) =>
        copyDatabase(c, ownerOf(t, db), deploymentId).catch((e) => {
          throw snapshotFailure(e, db.database);
        }),
      ),
    );
    // The copy is fingerprinted (and dumped) rather than production: it is what a rollback renames in.
    const copy = withDatabase(db, snapshot);
    const { dump, state: copyState } = t.backup.dump
      ? await dumpWithFingerprint(t, copy, path, partialDumpPath(t, deploymentId))
      : {
          dump: undefined,
          state: await phases.time('fingerprint', () => withClient(copy, (c) => fingerprint(t, copy, c))),
        };
    // The copy was taken at the boundary read when production's door was closed, not when it was dumped.
    const state = { ...copyState, xidBoundary };
    const sealed = await phases.time('seal', () =>
      withClient(maintenance, (c) => sealSnapshot(c, { database: snapshot, ...copied })),
    );
    const facts: BackupFacts = {
      method: 'snapshot',
      dump,
      snapshot: sealed,
      state,
      durationMs: Date.now() - started,
      phasesMs: { ...phases.ms, ...dump?.phasesMs },
    };
    if (dump) await describeDump(t, deploymentId, facts);
    return facts;
  }

  async function restore(
    t: TargetConfig,
    db: DbTarget,
    deploymentId: string,
    backup: BackupFacts,
  ): Promise<RestoreFacts> {
    const started = Date.now();
    const keptAs = ownDatabaseName(db.database, deploymentId, 'kept-aside');
    const done = (r: Omit<RestoreFacts, 'verified' | 'tables' | 'durationMs'>): RestoreFacts => ({
      ...r,
      verified: true,
      tables: backup.state.tables.length,
      durationMs: Date.now() - started,
    });

    let note: string | undefined;
    if (backup.snapshot) {
      const r = await restoreFromSnapshot(t, db, backup.snapshot, backup.state, { keptAs, deploymentId });
      if (!('unusable' in r)) return done({ ...r, source: 'snapshot' });
      if (!backup.dump) {
        throw deployFailure(FailureType.RestoreUnverified, {
          step: 'restore-database',
          what:
            `${r.unusable}, and no dump was taken (` +
            (t.backup.dump
              ? 'it follows the snapshot once writes resume, and the deployment had not got there'
              : 'backup.dump is false') +
            ')',
          remedy: `production ${db.database} is unchanged; restore it by hand from another copy`,
          retryable: false,
        });
      }
      note = `${r.unusable}: restored from the dump instead`;
    }
    if (!backup.dump)
      throw deployFailure(FailureType.RestoreUnverified, {
        step: 'restore-database',
        what: 'the backup facts name neither a snapshot nor a dump',
        remedy: 'restore by hand; production is unchanged',
        retryable: false,
      });
    const r = await restoreFromDump(t, db, deploymentId, backup.dump, backup.state);
    return done({ ...r, source: 'dump', note, verification: 'full' });
  }
}
