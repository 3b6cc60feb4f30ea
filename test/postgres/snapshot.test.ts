import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createCheckActivities } from '../../src/activities/checks.js';
import { createDatabaseActivities } from '../../src/activities/database.js';
import type { BackupFacts } from '../../src/shared/backupFacts.js';
import { ownDatabaseName } from '../../src/postgres/ownDatabases.js';
import { restoreSummary } from '../../src/plan/backupReport.js';
import { captureState } from '../../src/postgres/state.js';
import { environmentConfigSchema, type TargetConfig } from '../../src/config/schema.js';
import { run } from '../../src/exec/run.js';
import { pgDumpSchema, parseDatabaseUrl } from '../../src/commands/pg.js';
import { asSuperuser } from '../helpers/superuser.js';

/** The snapshot and kept-aside names of one deployment, as the activities make them. */
const backupNames = (database: string, deploymentId: string) => ({
  snapshot: ownDatabaseName(database, deploymentId, 'snapshot'),
  keptAs: ownDatabaseName(database, deploymentId, 'kept-aside'),
});

/**
 * The snapshot method against a real PostgreSQL: a small database of its own (two tables and
 * _prisma_migrations), its owner role, and an idle session that stands for the app's pool.
 */
const name = `snap_${randomBytes(3).toString('hex')}`;
const role = `${name}_app`;
const password = `pw-${randomBytes(9).toString('base64url')}`;
let url: string;
const root = mkdtempSync(join(tmpdir(), 'safe-deploy-snapshot-'));
let idle: pg.Client;
let idleError: Error | undefined;

const superuser = asSuperuser;
const urlOf = (database: string) =>
  `postgresql://${role}:${encodeURIComponent(password)}@${inject('pg').host}:${inject('pg').port}/${database}`;
const asApp = async <R extends pg.QueryResultRow>(sql: string, database = name) => {
  const c = new pg.Client({ connectionString: urlOf(database) });
  await c.connect();
  try {
    return (await c.query<R>(sql)).rows;
  } finally {
    await c.end();
  }
};
const exists = async (database: string) =>
  (await superuser('SELECT 1 FROM pg_database WHERE datname = $1', [database])).length === 1;
const oidOf = async (database: string) =>
  Number(
    (
      await superuser<{ oid: string }>('SELECT oid::int8::text AS oid FROM pg_database WHERE datname = $1', [database])
    )[0]?.oid,
  );

function target(backup: Record<string, unknown>): TargetConfig {
  const env = environmentConfigSchema.parse({
    appDir: root,
    database: { urlEnv: 'SNAP_TEST_DATABASE_URL' },
    backup: { dir: join(root, 'backups'), ...backup },
    commands: { restart: ['true'] },
    writes: { policy: 'detect' },
    baseUrl: 'http://127.0.0.1:9',
  });
  return { ...env, app: 'farm-chat', environment: `snap-${name}`, pgBinDir: inject('pg').binDir };
}
const deps = () => ({ configPath: '/nonexistent', env: { SNAP_TEST_DATABASE_URL: url } });
const activities = () => createDatabaseActivities(deps());
const mock = () => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });
/** Runs an activity in a mock activity context (heartbeats, cancellation), keeping its types. */
const act = <A extends unknown[], R>(fn: (...a: A) => Promise<R>, ...args: A): Promise<R> =>
  mock().run(fn as never, ...(args as unknown as never[])) as Promise<R>;

/** A backup's fingerprint without the transaction boundary it was taken at (production has none to compare). */
const contentOf = ({ xidBoundary: _boundary, ...state }: BackupFacts['state']) => state;

/** Production's full fingerprint now, as the activities compute it. */
async function productionState(database = name) {
  const db = { ...parseDatabaseUrl(url), database };
  const schema = await run(pgDumpSchema(join(inject('pg').binDir, 'pg_dump'), db));
  const c = new pg.Client({ connectionString: urlOf(database) });
  await c.connect();
  try {
    return await captureState(c, schema.stdout);
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  await superuser(`CREATE ROLE "${role}" LOGIN CREATEDB PASSWORD '${password}'`);
  await superuser(`CREATE DATABASE "${name}" OWNER "${role}"`);
  url = urlOf(name);
  await asApp(`
    CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE NOT NULL, name text NOT NULL);
    CREATE TABLE messages (id serial PRIMARY KEY, "userId" int NOT NULL REFERENCES users(id), body text NOT NULL);
    CREATE INDEX messages_user_idx ON messages ("userId");
    CREATE TABLE _prisma_migrations (id text PRIMARY KEY, checksum text NOT NULL, finished_at timestamptz, migration_name text NOT NULL, rolled_back_at timestamptz, started_at timestamptz NOT NULL DEFAULT now(), applied_steps_count int NOT NULL DEFAULT 0);
    INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name) VALUES ('1', 'abc', now(), '20260101000000_init');
    INSERT INTO users (email, name) SELECT 'farmer' || g || '@farm-chat.example', 'Farmer ' || g FROM generate_series(1, 40) g;
    INSERT INTO messages ("userId", body) SELECT 1 + g % 40, 'Moisture at the north pivot is down to ' || g || '%' FROM generate_series(1, 400) g;`);
  // The app's pool: connected and idle while writes are paused, as in maintenance mode.
  idle = new pg.Client({ connectionString: url });
  idle.on('error', (e) => {
    idleError = e;
  });
  await idle.connect();
}, 60_000);

afterAll(async () => {
  await idle?.end().catch(() => undefined);
  const leftovers = await superuser<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [
    `${name}%`,
  ]);
  for (const { datname } of leftovers) await superuser(`DROP DATABASE "${datname}" WITH (FORCE)`);
  await superuser(`DROP ROLE IF EXISTS "${role}"`);
  rmSync(root, { recursive: true, force: true });
});

describe('snapshot backups', () => {
  let backup: BackupFacts;
  let before: Awaited<ReturnType<typeof productionState>>;
  const heartbeats: Record<string, unknown>[] = [];
  const t = target({ method: 'snapshot', keep: 2 });

  it('copies production in the cluster, shutting the app out only for the copy, fingerprinted, sealed and dumped', async () => {
    before = await productionState();
    const env = mock();
    env.on('heartbeat', (d: Record<string, unknown>) => heartbeats.push(d));
    backup = await env.run(activities().backupDatabase, { deploymentId: 'deploy-1', target: t });

    const snap = backupNames(name, 'deploy-1').snapshot;
    expect(backup).toMatchObject({ method: 'snapshot', snapshot: { database: snap, strategy: 'FILE_COPY' } });
    expect(contentOf(backup.state)).toEqual(before);
    // The boundary a code-only rollback's verification reads row versions against.
    expect(backup.state.xidBoundary).toMatch(/^\d+$/);
    expect(backup.snapshot!.closedMs).toBeGreaterThanOrEqual(backup.snapshot!.copyMs);
    expect(backup.snapshot!.closedMs).toBeLessThan(10_000);
    // Sealed: closed to connections, its pg_database row version recorded.
    expect(
      await superuser('SELECT datallowconn, xmin::text AS xmin FROM pg_database WHERE datname = $1', [snap]),
    ).toEqual([{ datallowconn: false, xmin: backup.snapshot!.sealXmin }]);
    await expect(asApp('SELECT 1', snap)).rejects.toThrow(/not currently accepting connections/);
    // The disaster-recovery dump is of the snapshot, equal to the same fingerprint.
    expect(existsSync(backup.dump!.path)).toBe(true);
    expect(readdirSync(backup.dump!.path)).toContain('toc.dat');
    expect(heartbeats.map((h) => h.phase)).toEqual(expect.arrayContaining(['snapshot', 'fingerprint']));
  });

  it('ended the idle session for the copy and let the app back in', async () => {
    await expect(idle.query('SELECT 1')).rejects.toThrow();
    expect(idleError?.message ?? '').toMatch(/terminat/);
    expect(await asApp('SELECT count(*)::int AS n FROM users')).toEqual([{ n: 40 }]);
  });

  it('puts the snapshot back by renames: production equals the fingerprint exactly, the changed database is kept aside', async () => {
    await asApp(`ALTER TABLE users ADD COLUMN "satshotConnected" boolean NOT NULL DEFAULT false; DELETE FROM messages WHERE id % 3 = 0;
                 INSERT INTO _prisma_migrations (id, checksum, migration_name) VALUES ('2', 'def', '20260201000000_satshot')`);
    const oldOid = await oidOf(name);
    const r = await act(activities().restoreDatabase, { deploymentId: 'deploy-1', target: t, backup });
    const names = backupNames(name, 'deploy-1');
    expect(r).toMatchObject({
      restored: true,
      source: 'snapshot',
      verification: 'sealed',
      keptAs: names.keptAs,
      verified: true,
    });
    expect(r.closedMs).toBeLessThan(5_000);
    expect(await productionState()).toEqual(before);
    expect(await oidOf(name)).toBe(backup.snapshot!.oid);
    expect(await exists(names.snapshot)).toBe(false);
    expect(await oidOf(names.keptAs)).toBe(oldOid);
    expect(
      await asApp(
        `SELECT count(*)::int AS n FROM information_schema.columns WHERE column_name = 'satshotConnected'`,
        names.keptAs,
      ),
    ).toEqual([{ n: 1 }]);
  });

  it('does nothing the second time: production is already the snapshot', async () => {
    const r = await act(activities().restoreDatabase, { deploymentId: 'deploy-1', target: t, backup });
    expect(r).toMatchObject({ restored: true, source: 'snapshot', closedMs: 0, verification: 'full' });
    expect(await oidOf(name)).toBe(backup.snapshot!.oid);
    expect(await productionState()).toEqual(before);
  });

  it('finishes a swap that died half-way (production renamed aside, snapshot not yet in)', async () => {
    const b = await act(activities().backupDatabase, { deploymentId: 'deploy-2', target: t });
    const names = backupNames(name, 'deploy-2');
    await asApp('DELETE FROM messages WHERE "userId" > 30');
    await superuser(`ALTER DATABASE "${name}" RENAME TO "${names.keptAs}"`);
    const r = await act(activities().restoreDatabase, { deploymentId: 'deploy-2', target: t, backup: b });
    expect(r).toMatchObject({ restored: true, source: 'snapshot' });
    expect(await productionState()).toEqual(contentOf(b.state));
    expect(await asApp('SELECT count(*)::int AS n FROM messages', names.keptAs)).toEqual([{ n: 300 }]);
  });

  it('uses a snapshot opened since the backup only after a full fingerprint proves it unchanged', async () => {
    const b = await act(activities().backupDatabase, { deploymentId: 'deploy-3', target: t });
    const snap = b.snapshot!.database;
    await superuser(`ALTER DATABASE "${snap}" WITH ALLOW_CONNECTIONS true`);
    await superuser(`ALTER DATABASE "${snap}" WITH ALLOW_CONNECTIONS false`);
    await asApp('DELETE FROM messages WHERE id < 50');
    const r = await act(activities().restoreDatabase, { deploymentId: 'deploy-3', target: t, backup: b });
    expect(r).toMatchObject({ restored: true, source: 'snapshot', verification: 'full' });
    expect(await productionState()).toEqual(contentOf(b.state));
  });

  describe('a snapshot changed since the backup', () => {
    it('is refused, leaving production unchanged, when there is no dump (non-retryable)', async () => {
      const noDump = target({ method: 'snapshot', dump: false });
      const b = await act(activities().backupDatabase, { deploymentId: 'deploy-4', target: noDump });
      expect(b.dump).toBeUndefined();
      await superuser(`ALTER DATABASE "${b.snapshot!.database}" WITH ALLOW_CONNECTIONS true`);
      await superuser('DELETE FROM messages WHERE id = 2', [], b.snapshot!.database);
      await asApp("UPDATE users SET name = 'changed by v2' WHERE id = 1");
      const changed = await productionState();
      const oid = await oidOf(name);
      const err = await act(activities().restoreDatabase, {
        deploymentId: 'deploy-4',
        target: noDump,
        backup: b,
      }).catch((e) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err).toMatchObject({ type: 'RestoreUnverified', nonRetryable: true });
      expect(err.message).toContain(
        `the snapshot ${b.snapshot!.database} was changed since the backup (table public.messages: 399 rows, expected 400)`,
      );
      expect(err.message).toContain('no dump was taken');
      expect(await oidOf(name)).toBe(oid);
      expect(await productionState()).toEqual(changed);
    });

    it('falls back to the dump, and says so', async () => {
      const b = await act(activities().backupDatabase, { deploymentId: 'deploy-5', target: t });
      await superuser(`ALTER DATABASE "${b.snapshot!.database}" WITH ALLOW_CONNECTIONS true`);
      await superuser("UPDATE users SET name = 'tampered' WHERE id = 3", [], b.snapshot!.database);
      await asApp('DELETE FROM messages WHERE id < 100');
      const r = await act(activities().restoreDatabase, { deploymentId: 'deploy-5', target: t, backup: b });
      expect(r).toMatchObject({ restored: true, source: 'dump', verification: 'full' });
      expect(r.note).toMatch(
        /was changed since the backup \(table public\.users: content differs\): restored from the dump instead/,
      );
      expect(await productionState()).toEqual(contentOf(b.state));
    });
  });

  it('prunes to the newest `keep` snapshots, dumps and kept-aside databases, never the current deployment nor production', async () => {
    const current = await act(activities().backupDatabase, { deploymentId: 'deploy-6', target: t });
    const labelled = async () =>
      (
        await superuser<{ datname: string }>(
          `SELECT datname FROM pg_database WHERE datname LIKE $1 AND datname <> $2 ORDER BY 1`,
          [`${name}_sd_%`, name],
        )
      ).map((r) => r.datname);
    const snapshotsBefore = (await labelled()).filter((d) => d.endsWith('_snap'));
    expect(snapshotsBefore.length).toBeGreaterThan(2);
    const r = await act(activities().pruneBackups, { deploymentId: 'deploy-6', target: t });
    const after = await labelled();
    // Snapshots 1-3 went back in as production; of 4 (refused), 5 (tampered, the dump was used) and 6, the newest two stay.
    expect(after.filter((d) => d.endsWith('_snap'))).toEqual(
      [backupNames(name, 'deploy-5').snapshot, current.snapshot!.database].sort(),
    );
    // deploy-2's was renamed aside by hand (no label): named like ours, it is still never dropped.
    expect(after.filter((d) => d.endsWith('_failed'))).toEqual(
      [
        backupNames(name, 'deploy-2').keptAs,
        backupNames(name, 'deploy-3').keptAs,
        backupNames(name, 'deploy-5').keptAs,
      ].sort(),
    );
    expect(r.removed).toEqual(
      expect.arrayContaining([backupNames(name, 'deploy-4').snapshot, backupNames(name, 'deploy-1').keptAs]),
    );
    expect(r.removed).not.toContain(backupNames(name, 'deploy-2').keptAs);
    const dumps = readdirSync(t.backup.dir).filter((f) => f.endsWith('.dir'));
    expect(dumps.sort()).toEqual([
      `farm-chat-${t.environment}-deploy-5.dir`,
      `farm-chat-${t.environment}-deploy-6.dir`,
    ]);
    expect(await exists(name)).toBe(true);
    expect(r.kept).toContain(current.dump!.path);
  });
});

// Method snapshot in a deployment since issue 14: the copy inside the write pause, its fingerprint
// and seal beside the release's code steps, its pg_dump once writes resumed.
describe('the snapshot split around the write pause', () => {
  const t = target({ method: 'snapshot', keep: 10 });
  const sealOf = async (database: string) =>
    (
      await superuser<{ datallowconn: boolean; xmin: string }>(
        'SELECT datallowconn, xmin::text AS xmin FROM pg_database WHERE datname = $1',
        [database],
      )
    )[0];

  it('copies only in the pause; fingerprints and dumps the copy, not production, however production changed since', async () => {
    const before = await productionState();
    const copy = await act(activities().copyDatabaseForBackup, { deploymentId: 'split-1', target: t });
    expect(copy.database).toBe(backupNames(name, 'split-1').snapshot);
    expect(copy.xidBoundary).toMatch(/^\d+$/);
    // Writes resumed, the release migrated: production moves on, the copy must not.
    await asApp(
      `ALTER TABLE users ADD COLUMN "satshotConnected" boolean NOT NULL DEFAULT false; UPDATE users SET name = 'renamed by v2' WHERE id <= 5`,
    );
    const proven = await act(activities().fingerprintBackup, { deploymentId: 'split-1', target: t, copy });
    expect(contentOf(proven.state)).toEqual(before);
    expect(proven.state.xidBoundary).toBe(copy.xidBoundary);
    expect(proven.dump).toBeUndefined();
    expect(await sealOf(copy.database)).toEqual({ datallowconn: false, xmin: proven.snapshot!.sealXmin });
    // Proven again (a retry): the same fingerprint, sealed again.
    const again = await act(activities().fingerprintBackup, { deploymentId: 'split-1', target: t, copy });
    expect(again.state).toEqual(proven.state);

    const dumped = await act(activities().dumpBackup, { deploymentId: 'split-1', target: t, backup: again });
    expect(readdirSync(dumped.dump!.path)).toContain('toc.dat');
    expect(dumped.dump!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(dumped.state).toEqual(again.state);
    const seal = await sealOf(copy.database);
    expect(seal).toEqual({ datallowconn: false, xmin: dumped.snapshot!.sealXmin });
    expect(seal!.xmin).not.toBe(again.snapshot!.sealXmin);

    // Both halves restore the backup, by content: the snapshot (its new seal intact), and the dump.
    const r = await act(activities().restoreDatabase, { deploymentId: 'split-1', target: t, backup: dumped });
    expect(r).toMatchObject({ restored: true, source: 'snapshot', verification: 'sealed' });
    expect(await productionState()).toEqual(before);
    await asApp("UPDATE users SET name = 'renamed again' WHERE id = 7");
    // The dump alone (the snapshot is production now): restored into a scratch database, proven, swapped in.
    const fromDump = await act(activities().restoreDatabase, {
      deploymentId: 'split-1b',
      target: t,
      backup: { ...dumped, snapshot: undefined },
    });
    expect(fromDump).toMatchObject({ restored: true, source: 'dump', verification: 'full' });
    expect(await productionState()).toEqual(before);
  });

  it('refuses to dump a copy changed since its fingerprint (non-retryable), and says no dump exists yet when a rollback needs one', async () => {
    const copy = await act(activities().copyDatabaseForBackup, { deploymentId: 'split-2', target: t });
    const proven = await act(activities().fingerprintBackup, { deploymentId: 'split-2', target: t, copy });
    await superuser(`ALTER DATABASE "${copy.database}" WITH ALLOW_CONNECTIONS true`);
    await superuser('DELETE FROM messages WHERE id = 11', [], copy.database);
    const err = await act(activities().dumpBackup, { deploymentId: 'split-2', target: t, backup: proven }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'BackupUnverified', nonRetryable: true });
    expect(err.message).toContain(
      `[dump-backup] the snapshot ${copy.database} changed since its fingerprint (table public.messages: 399 rows, expected 400)`,
    );
    // The restore before any dump: the snapshot differs, and the message says why there is no dump.
    const oid = await oidOf(name);
    const refused = await act(activities().restoreDatabase, {
      deploymentId: 'split-2',
      target: t,
      backup: proven,
    }).catch((e) => e);
    expect(refused).toMatchObject({ type: 'RestoreUnverified', nonRetryable: true });
    expect(refused.message).toContain('it follows the snapshot once writes resume');
    expect(await oidOf(name)).toBe(oid);
  });
});

// With a dump to follow, the fingerprint in the pause has no checksums: the dump's reading adds them.
describe('a fingerprint without checksums, completed by the dump', () => {
  const t = target({ method: 'snapshot', keep: 10 });

  it("dumps a copy opened since (an earlier attempt) but unwritten, the checksums read in the dump, the boundary the copy's", async () => {
    const before = await productionState();
    const copy = await act(activities().copyDatabaseForBackup, { deploymentId: 'quick-1', target: t });
    const quick = await act(activities().fingerprintBackup, {
      deploymentId: 'quick-1',
      target: t,
      copy,
      checksums: false,
    });
    expect(quick.state.tables.every((x) => x.checksum === undefined)).toBe(true);
    expect(quick.state.tables.map(({ name, rows }) => ({ name, rows }))).toEqual(
      before.tables.map(({ name, rows }) => ({ name, rows })),
    );
    // An attempt that opened the copy and died before sealing it again.
    await superuser(`ALTER DATABASE "${copy.database}" WITH ALLOW_CONNECTIONS true`);
    await asApp('SELECT count(*) FROM users', copy.database);
    const dumped = await act(activities().dumpBackup, { deploymentId: 'quick-1', target: t, backup: quick });
    expect(contentOf(dumped.state)).toEqual(before);
    expect(dumped.state.xidBoundary).toBe(copy.xidBoundary);
  });

  it('refuses a copy written since (same row count, one value changed): nothing else could tell', async () => {
    const copy = await act(activities().copyDatabaseForBackup, { deploymentId: 'quick-2', target: t });
    const quick = await act(activities().fingerprintBackup, {
      deploymentId: 'quick-2',
      target: t,
      copy,
      checksums: false,
    });
    await superuser(`ALTER DATABASE "${copy.database}" WITH ALLOW_CONNECTIONS true`);
    await superuser("UPDATE users SET name = 'tampered' WHERE id = 4", [], copy.database);
    const err = await act(activities().dumpBackup, { deploymentId: 'quick-2', target: t, backup: quick }).catch(
      (e) => e,
    );
    expect(err).toMatchObject({ type: 'BackupUnverified', nonRetryable: true });
    expect(err.message).toContain(`the snapshot ${copy.database} was written since its fingerprint (public.users)`);
    // Nor would a rollback use it: the seal is broken, and a row is not the version the copy was made with.
    const oid = await oidOf(name);
    const refused = await act(activities().restoreDatabase, {
      deploymentId: 'quick-2',
      target: t,
      backup: quick,
    }).catch((e) => e);
    expect(refused).toMatchObject({ type: 'RestoreUnverified' });
    expect(refused.message).toContain(
      `the snapshot ${copy.database} was changed since the backup (table public.users: 1 of 40 rows written since the copy was made)`,
    );
    expect(await oidOf(name)).toBe(oid);
  });

  // Found by the fault matrix (dump-backup/error@releases+snapshot ended rollback-failed): dump-backup
  // opens the copy to dump it; when it fails after that (or is cut off and the deployment rolled
  // back), its facts never reach the workflow, and the rollback restores with the fingerprint read
  // before the migration (no checksums) and the seal it recorded — broken. That copy is still the backup.
  it("renames in a copy opened since but unwritten (a dump-backup that failed after opening it), proven row by row against the copy's boundary", async () => {
    const before = await productionState();
    const copy = await act(activities().copyDatabaseForBackup, { deploymentId: 'quick-3', target: t });
    const quick = await act(activities().fingerprintBackup, {
      deploymentId: 'quick-3',
      target: t,
      copy,
      checksums: false,
    });
    await asApp("UPDATE users SET name = 'migrated' WHERE id = 9"); // the release changed production
    await superuser(`ALTER DATABASE "${copy.database}" WITH ALLOW_CONNECTIONS true`);
    await asApp('SELECT count(*) FROM messages', copy.database); // read, as pg_dump does
    const r = await act(activities().restoreDatabase, { deploymentId: 'quick-3', target: t, backup: quick });
    expect(r).toMatchObject({ restored: true, source: 'snapshot', verification: 'untouched' });
    expect(restoreSummary(r)).toContain('every row the version the copy was made with verified');
    expect(await productionState()).toEqual(before);
    expect(await oidOf(name)).toBe(quick.snapshot!.oid);
  });
});

describe('a session the role may not end', () => {
  it('fails the snapshot at once, retryably, naming the remedy, and lets the app back in', async () => {
    const dba = new pg.Client({ connectionString: inject('pg').superuserUrl.replace(/\/postgres$/, `/${name}`) });
    await dba.connect();
    try {
      const started = Date.now();
      const err = await act(activities().backupDatabase, {
        deploymentId: 'deploy-7',
        target: target({ method: 'snapshot' }),
      }).catch((e) => e);
      expect(err).toMatchObject({ type: 'BackupUnverified', nonRetryable: false });
      expect(err.message).toContain(`sessions of postgres are connected to ${name}, and this role may not end them`);
      expect(err.message).toContain('grant the role pg_signal_backend');
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(await asApp('SELECT 1 AS ok')).toEqual([{ ok: 1 }]);
      expect((await dba.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    } finally {
      await dba.end();
    }
  });
});

describe('checkDisk for a snapshot', () => {
  it('checks the data directory when the role may read where it is, else says it did not', async () => {
    const checks = createCheckActivities(deps());
    const t = target({ method: 'snapshot', dump: false });
    const skipped = await act(checks.checkDisk, { target: t, databaseBytes: 1_000_000 });
    expect(skipped).toMatchObject({ requiredBytes: 0 });
    expect(skipped.note).toContain('grant it pg_read_all_settings');
    await superuser(`GRANT pg_read_all_settings TO "${role}"`);
    const checked = await act(checks.checkDisk, { target: t, databaseBytes: 1_000_000 });
    expect(checked.dataDirectory).toMatchObject({ requiredBytes: 2_000_000 });
    expect(checked.dataDirectory!.freeBytes).toBeGreaterThan(2_000_000);
    const err = await act(checks.checkDisk, { target: t, databaseBytes: checked.dataDirectory!.freeBytes }).catch(
      (e) => e,
    );
    expect(err).toMatchObject({ type: 'DiskSpaceLow', nonRetryable: true });
    expect(err.message).toContain("the cluster's data directory");
  });
});
