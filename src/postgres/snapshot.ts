/**
 * The snapshot method: before the deployment, a copy of production in the same cluster
 * (CREATE DATABASE … TEMPLATE), fingerprinted, then sealed; a rollback renames it in.
 *
 * The seal: the copy is closed to connections (ALLOW_CONNECTIONS false) once fingerprinted, and
 * the version of its pg_database row is recorded. Nobody can connect to a closed database, and
 * opening it is an ALTER DATABASE, which writes a new row version: an intact seal proves nobody
 * touched the copy since its fingerprint, without reading a byte of it. A broken seal costs a
 * full fingerprint instead; a copy that differs is never used.
 */
import type pg from 'pg';
import { withDatabase, type DbTarget } from '../commands/pg.js';
import type { TargetConfig } from '../config/schema.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import {
  allowConnections,
  databaseRow,
  databaseSize,
  endSessions,
  swapIn,
  withDoorClosed,
  type DatabaseRow,
} from './catalog.js';
import { fingerprint, type SwapFacts } from './dump.js';
import { diffStates, tablesWrittenSince } from './state.js';
import type { DatabaseState } from '../shared/databaseState.js';
import { heartbeat } from '../activities/activityDeps.js';
import { createOwnDatabase, labelDatabase, ownerOf, type Owner } from './ownDatabases.js';
import { withClient } from './pgClient.js';
import { Phases } from './phases.js';
import { SNAPSHOT_STRATEGY, type RestoreVerification, type SnapshotFacts } from '../shared/backupFacts.js';

/**
 * Copies production to this deployment's snapshot inside the cluster (labelled as safe-deploy's
 * at once; a retry drops its own earlier copy through the guard first). The copy needs
 * production without sessions: the app (paused for writes, still connected for reads) is shut
 * out for the copy's duration and let back in at once, whatever happens.
 */
export async function copyDatabase(
  c: pg.ClientBase,
  owner: Owner,
  deploymentId: string,
): Promise<{ name: string; closedMs: number; copyMs: number; xidBoundary: string }> {
  heartbeat({ phase: 'snapshot', sourceBytes: await databaseSize(c, owner.production) });
  const closed = Date.now();
  let copyMs = 0;
  let xidBoundary = '';
  const name = await createOwnDatabase(c, owner, {
    deploymentId,
    kind: 'snapshot',
    step: 'backup',
    template: owner.production,
    around: (create) =>
      withDoorClosed(c, owner.production, async () => {
        // Production has no session now: whatever writes it later has a newer transaction id (ids are cluster-wide).
        xidBoundary = (await c.query<{ x: string }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS x'))
          .rows[0]!.x;
        const started = Date.now();
        await create();
        copyMs = Date.now() - started;
      }),
  });
  return { name, closedMs: Date.now() - closed, copyMs, xidBoundary };
}

/** Closes the copy for good and records the seal. */
export async function sealDatabase(c: pg.ClientBase, name: string): Promise<DatabaseRow> {
  await allowConnections(c, name, false);
  await endSessions(c, name);
  return (await databaseRow(c, name))!;
}

/** Seals a fingerprinted copy and says what a rollback needs of it: the seal, its size, how it was copied. */
export async function sealSnapshot(
  c: pg.ClientBase,
  copied: { database: string; closedMs: number; copyMs: number },
): Promise<SnapshotFacts> {
  const row = await sealDatabase(c, copied.database);
  return {
    database: copied.database,
    oid: row.oid,
    sealXmin: row.xmin,
    strategy: SNAPSHOT_STRATEGY,
    sizeBytes: await databaseSize(c, copied.database),
    closedMs: copied.closedMs,
    copyMs: copied.copyMs,
  };
}

const sealIntact = (row: DatabaseRow, s: SnapshotFacts) =>
  row.oid === s.oid && row.xmin === s.sealXmin && !row.allowConnections;

export type SnapshotRestore = (SwapFacts & { verification: RestoreVerification }) | { unusable: string };

/**
 * Renames the snapshot in: production aside (kept), the snapshot in its place, opened. Verified
 * before (the seal, or a full fingerprint when the seal is broken) and after (schema, rows and
 * migrations of what now answers to production's name; the full fingerprint after a broken seal
 * or on a retry). `unusable` when the snapshot is gone or differs: production is then unchanged.
 */
export async function restoreFromSnapshot(
  t: TargetConfig,
  db: DbTarget,
  s: SnapshotFacts,
  expected: DatabaseState,
  o: { keptAs: string; deploymentId: string },
): Promise<SnapshotRestore> {
  const { keptAs } = o;
  const phases = new Phases();
  const maintenance = withDatabase(db, t.database.maintenanceDatabase);
  const fail = (what: string) =>
    deployFailure(FailureType.RestoreUnverified, {
      step: 'restore-database',
      what,
      remedy: `inspect ${db.database} and ${keptAs} by hand`,
      retryable: false,
    });
  const verify = async (full: boolean) => {
    const diffs = await phases.time('verify-after', () =>
      withClient(db, async (c) => diffStates(expected, await fingerprint(t, db, c, { checksums: full }))),
    );
    if (diffs.length > 0)
      throw fail(`after the swap, ${db.database} does not match the snapshot's fingerprint: ${diffs.join('; ')}`);
  };

  const state = await phases.time('seal', () =>
    withClient(maintenance, async (c) => ({
      production: await databaseRow(c, db.database),
      snapshot: await databaseRow(c, s.database),
    })),
  );
  if (state.production?.oid === s.oid) {
    // A retry after the swap: production is the snapshot already. Open it, prove it fully.
    await withClient(maintenance, async (c) => {
      await allowConnections(c, db.database, true);
      await labelDatabase(c, db.database, null);
    });
    await verify(true);
    return { restored: true, changed: false, keptAs, closedMs: 0, verification: 'full', phasesMs: phases.ms };
  }
  if (!state.snapshot || state.snapshot.oid !== s.oid) return { unusable: `the snapshot ${s.database} is gone` };

  const sealed = sealIntact(state.snapshot, s);
  // A fingerprint without checksums (read before the migration; the dump brings them) proves a
  // copy opened since by what dump-backup itself requires: every row still the version the copy
  // was made with (written before its boundary). dump-backup opens the copy to dump it, so a
  // rollback after it failed, or was cut off, finds the seal broken and its facts never returned.
  const quick = expected.tables.some((x) => x.checksum === undefined);
  if (!sealed && quick && !expected.xidBoundary)
    return {
      unusable:
        `the snapshot ${s.database} was opened since its fingerprint, which has no checksums yet to prove its ` +
        `content`,
    };
  if (!sealed) {
    // Someone opened it since the backup: only a full fingerprint (or, without checksums,
    // no row written since the copy) can tell whether it still holds the backup.
    const snapshot = withDatabase(db, s.database);
    await withClient(maintenance, (c) => allowConnections(c, s.database, true));
    const diffs = await phases.time('verify', () =>
      withClient(snapshot, async (c) => {
        const found = diffStates(expected, await fingerprint(t, snapshot, c, { checksums: !quick }));
        if (quick && found.length === 0) {
          for (const x of await tablesWrittenSince(c, expected.tables, expected.xidBoundary!))
            found.push(`table ${x.name}: ${x.written} of ${x.rows} rows written since the copy was made`);
        }
        return found;
      }),
    );
    await withClient(maintenance, (c) => sealDatabase(c, s.database));
    if (diffs.length > 0)
      return { unusable: `the snapshot ${s.database} was changed since the backup (${diffs.join('; ')})` };
  }
  const { closedMs } = await phases.time('swap', () =>
    withClient(maintenance, (c) => {
      return swapIn(c, ownerOf(t, db), { incoming: s.database, keptAs, deploymentId: o.deploymentId });
    }),
  );
  const now = await withClient(maintenance, (c) => databaseRow(c, db.database));
  if (now?.oid !== s.oid)
    throw fail(`after the swap, ${db.database} is not the snapshot ${s.database} (oid ${now?.oid}, expected ${s.oid})`);
  await verify(!sealed && !quick);
  return {
    restored: true,
    changed: true,
    keptAs,
    closedMs,
    verification: sealed ? 'sealed' : quick ? 'untouched' : 'full',
    phasesMs: phases.ms,
  };
}
