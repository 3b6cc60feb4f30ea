/**
 * The dump method's two halves: pg_dump with a fingerprint taken in the very snapshot the dump
 * reads, and pg_restore into a scratch database that is proven equal before it is swapped in.
 * Both stream: the dump goes straight to disk, output is read line by line for progress.
 */
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { pgDump, pgDumpSchema, pgRestore, pgRestoreList, withDatabase, type DbTarget } from '../commands/pg.js';
import type { TargetConfig } from '../config/schema.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import type { StepName } from '../shared/steps.js';
import { databaseRow, databaseSize, swapIn } from './catalog.js';
import { captureState, diffStates, quoteIdent } from './state.js';
import type { DatabaseState } from '../shared/databaseState.js';
import { heartbeat, runInActivity } from '../activities/activityDeps.js';
import { commandFailure } from '../activities/commandFailure.js';
import { fingerprintPath } from '../release/files.js';
import { createOwnDatabase, ownDatabaseName, ownerOf } from './ownDatabases.js';
import { pgTool, withClient } from './pgClient.js';
import { Phases } from './phases.js';
import type { DumpFacts } from '../shared/backupFacts.js';

/**
 * Schema text + fingerprint of one database, optionally inside
 * an exported snapshot; `checksums: false` for a quick one.
 */
export async function fingerprint(
  t: TargetConfig,
  db: DbTarget,
  client: pg.ClientBase,
  o: { snapshot?: string; checksums?: boolean } = {},
): Promise<DatabaseState> {
  const schema = await runInActivity(pgDumpSchema(pgTool(t.pgBinDir, 'pg_dump'), db, o.snapshot), 'dump schema');
  return captureState(client, schema.stdout, {
    checksums: o.checksums,
    onTable: (done, total) => heartbeat({ phase: 'fingerprint', done, total }),
  });
}

/** Bytes under a dump path: one file, or the files of a directory-format dump. */
async function pathBytes(path: string): Promise<number> {
  const s = await stat(path).catch(() => undefined);
  if (!s) return 0;
  if (s.isFile()) return s.size;
  let total = 0;
  for (const name of await readdir(path)) total += (await stat(join(path, name)).catch(() => ({ size: 0 }))).size;
  return total;
}

/**
 * Tables whose data is done, told by `pg_dump --verbose` / `pg_restore --verbose`: parallel jobs
 * say `finished item N TABLE DATA t`; a single job only says when it starts the next table.
 */
export function tableProgress(parallel: boolean) {
  let count = 0;
  const pattern = parallel ? /finished item \d+ TABLE DATA / : /(dumping contents of|processing data for) table /;
  return {
    onLine: (line: string) => {
      if (pattern.test(line)) count++;
    },
    done: () => (parallel ? count : Math.max(0, count - 1)),
  };
}

/**
 * pg_dump of `db` into `path`, verified: a fingerprint (schema, rows and checksum per table,
 * migrations) is read inside the snapshot the dump reads, the archive lists with pg_restore, and
 * its size and sha256 are recorded. A retry starts over: a dump is not resumable.
 *
 * The dump is written to `partial` and renamed to `path` only once verified: a file at `path` is
 * always a whole dump; what a cancelled or failed dump leaves is pruned by retention (partialDumps.ts).
 */
export async function dumpWithFingerprint(
  t: TargetConfig,
  db: DbTarget,
  path: string,
  partial: string,
  o: { step?: StepName; checksums?: boolean } = {},
): Promise<{ dump: DumpFacts; state: DatabaseState }> {
  const step = o.step ?? 'backup';
  const started = Date.now();
  const phases = new Phases();
  await rm(partial, { recursive: true, force: true });
  const state = await withClient(db, async (client) => {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const { rows } = await client.query<{ snapshot: string; tables: string; boundary: string }>(
      `SELECT pg_export_snapshot() AS snapshot, pg_snapshot_xmin(pg_current_snapshot())::text AS boundary,
              (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', ` +
        `'information_schema') AND n.nspname NOT LIKE 'pg\\_%')::text AS tables`,
    );
    const { snapshot, tables, boundary } = rows[0]!;
    const tablesDone = tableProgress(t.backup.format === 'directory' && t.backup.jobs > 1);
    // The dump and the fingerprint read the same snapshot at once: each reads every table, and
    // the fingerprint's checksums no longer wait for the dump to end.
    const dumping = phases
      .time('pg_dump', () =>
        runInActivity(
          pgDump(pgTool(t.pgBinDir, 'pg_dump'), db, {
            file: partial,
            format: t.backup.format,
            jobs: t.backup.jobs,
            compression: t.backup.compression,
            snapshot,
            verbose: true,
          }),
          'dump',
          {
            onLine: tablesDone.onLine,
            progress: async () => ({
              bytesWritten: await pathBytes(partial),
              tablesDone: tablesDone.done(),
              tables: Number(tables),
            }),
          },
        ),
      )
      .catch((e: unknown) => {
        throw commandFailure(e, {
          step,
          type: FailureType.BackupUnverified,
          what: 'pg_dump failed',
          remedy: 'check the database connection, permissions and free space, then start again',
          retryable: true,
        });
      });
    const reading = phases.time('fingerprint', () => fingerprint(t, db, client, { snapshot, checksums: o.checksums }));
    const [dumped, read] = await Promise.allSettled([dumping, reading]);
    if (dumped.status === 'rejected') throw dumped.reason;
    if (read.status === 'rejected') throw read.reason;
    const s = read.value;
    await client.query('COMMIT');
    return { ...s, xidBoundary: boundary };
  });
  let listing;
  try {
    listing = await phases.time('list', () =>
      runInActivity(pgRestoreList(pgTool(t.pgBinDir, 'pg_restore'), partial), 'verify'),
    );
  } catch (e) {
    throw commandFailure(e, {
      step,
      type: FailureType.BackupUnverified,
      what: 'the dump does not read back with pg_restore --list',
      remedy: 'check the backup disk and pg_dump/pg_restore versions',
      retryable: true,
    });
  }
  const listed = new Set([...listing.stdout.matchAll(/ TABLE DATA (\S+) (\S+) /g)].map((m) => `${m[1]}.${m[2]}`));
  const missing = state.tables.map((x) => x.name).filter((n) => !listed.has(n));
  if (missing.length > 0) {
    throw deployFailure(FailureType.BackupUnverified, {
      step,
      what: `the dump has no data for ${missing.join(', ')}`,
      remedy: 'check that the database role can read every table',
      retryable: false,
    });
  }
  const { sha256: digest, sizeBytes } = await phases.time('sha256', () => fingerprintPath(partial));
  // Verified: only now does it take its final name (a retry's earlier whole dump is replaced).
  await rm(path, { recursive: true, force: true });
  await rename(partial, path);
  return {
    dump: {
      path,
      format: t.backup.format,
      sizeBytes,
      sha256: digest,
      archiveEntries: listing.stdout.split('\n').filter((l) => l && !l.startsWith(';')).length,
      durationMs: Date.now() - started,
      phasesMs: phases.ms,
    },
    state,
  };
}

export interface SwapFacts {
  /**
   * Whether production is (now) this deployment's restore of the backup: false when the database
   * already matched the backup and was never swapped (nothing had changed it).
   */
  restored: boolean;
  /** Whether this run swapped production; false when an earlier run (or attempt) already had. */
  changed: boolean;
  keptAs?: string;
  /** How long production's name led to no open database. */
  closedMs: number;
  /** Where the time went: comparing, restoring, verifying, swapping. */
  phasesMs: Record<string, number>;
}

/**
 * Puts a dump back: restored into a scratch database and proven equal to the fingerprint first;
 * only then swapped in by renames, so production is never half-restored, and proven again. The
 * failed database is kept aside. Safe to run again at any stage.
 */
export async function restoreFromDump(
  t: TargetConfig,
  db: DbTarget,
  deploymentId: string,
  dump: DumpFacts,
  expected: DatabaseState,
): Promise<SwapFacts> {
  const phases = new Phases();
  const maintenance = withDatabase(db, t.database.maintenanceDatabase);
  const owner = ownerOf(t, db);
  const names = {
    scratch: ownDatabaseName(db.database, deploymentId, 'restore-scratch'),
    keptAs: ownDatabaseName(db.database, deploymentId, 'kept-aside'),
  };
  const fail = (what: string, remedy: string) =>
    deployFailure(FailureType.RestoreUnverified, { step: 'restore-database', what, remedy, retryable: false });

  const productionExists = await withClient(maintenance, async (c) => {
    if (!(await databaseRow(c, db.database))) return false;
    // A previous attempt may have died between closing the door and the rename: reopen it.
    await c.query(`ALTER DATABASE ${quoteIdent(db.database)} WITH ALLOW_CONNECTIONS true`);
    return true;
  });
  if (productionExists) {
    // Equal already? Schema and row counts first: a half-applied migration fails that in a blink.
    const unchanged = await phases.time('compare', () =>
      withClient(
        db,
        async (c) =>
          diffStates(expected, await fingerprint(t, db, c, { checksums: false })).length === 0 &&
          diffStates(expected, await fingerprint(t, db, c)).length === 0,
      ),
    );
    if (unchanged) {
      const restored = await withClient(maintenance, async (c) => Boolean(await databaseRow(c, names.keptAs)));
      return {
        restored,
        changed: false,
        keptAs: restored ? names.keptAs : undefined,
        closedMs: 0,
        phasesMs: phases.ms,
      };
    }
    const { sha256: digest } = await fingerprintPath(dump.path).catch(() => ({ sha256: 'missing' }));
    if (digest !== dump.sha256) {
      throw fail(
        `the backup ${dump.path} is ` +
          `${digest === 'missing' ? 'missing' : 'not the file that was verified (sha256 differs)'}`,
        `restore from another copy by hand (pg_restore --no-owner --dbname=<fresh database> <dump>, then ` +
          `rename it to ${db.database}); production is unchanged`,
      );
    }
    await withClient(maintenance, (c) =>
      createOwnDatabase(c, owner, { deploymentId, kind: 'restore-scratch', step: 'restore-database' }),
    );
    const scratch = withDatabase(db, names.scratch);
    await phases.time('pg_restore', () =>
      withClient(maintenance, async (sizer) => {
        const tablesDone = tableProgress(t.backup.jobs > 1);
        try {
          await runInActivity(
            pgRestore(pgTool(t.pgBinDir, 'pg_restore'), scratch, {
              file: dump.path,
              jobs: t.backup.jobs,
              verbose: true,
            }),
            'restore',
            {
              onLine: tablesDone.onLine,
              progress: async () => ({
                bytesRestored: await databaseSize(sizer, names.scratch),
                tablesDone: tablesDone.done(),
                tables: expected.tables.length,
              }),
            },
          );
        } catch (e) {
          throw commandFailure(e, {
            step: 'restore-database',
            type: FailureType.RestoreUnverified,
            what: `pg_restore into ${names.scratch} failed`,
            remedy: 'see the output; production is unchanged',
            retryable: true,
          });
        }
      }),
    );
    const diffs = await phases.time('verify', () =>
      withClient(scratch, async (c) => diffStates(expected, await fingerprint(t, scratch, c))),
    );
    if (diffs.length > 0)
      throw fail(
        `the restored copy ${names.scratch} does not match the backup's fingerprint: ${diffs.join('; ')}`,
        'inspect the scratch database; production is unchanged',
      );
  }
  const { closedMs } = await phases.time('swap', () =>
    withClient(maintenance, (c) => swapIn(c, owner, { incoming: names.scratch, keptAs: names.keptAs, deploymentId })),
  );
  const diffs = await phases.time('verify-after', () =>
    withClient(db, async (c) => diffStates(expected, await fingerprint(t, db, c))),
  );
  if (diffs.length > 0)
    throw fail(
      `after the swap, ${db.database} does not match the backup: ${diffs.join('; ')}`,
      `inspect ${db.database} and ${names.keptAs} by hand`,
    );
  return { restored: true, changed: true, keptAs: names.keptAs, closedMs, phasesMs: phases.ms };
}
