import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ownDatabaseName } from '../../src/postgres/ownDatabases.js';
import { createRehearsalActivities, type RehearsalFacts, type RehearsalInput } from '../../src/activities/rehearsal.js';
import { environmentConfigSchema, releaseManifestSchema, type TargetConfig } from '../../src/config/schema.js';
import { freePort } from '../../scripts/lib/ports.js';
import { pgComesBackOn } from '../helpers/pgComesBack.js';
import { asSuperuser } from '../helpers/superuser.js';

/**
 * Issue 14.7, found by the fault matrix (rehearse/pg-outage): the online rehearsal runs before
 * writes pause, on a pg_dump of production, but it did not wait for PostgreSQL as every other
 * step that needs it does. A 60 s outage during that pg_dump failed it three times within 6 s (a
 * raw `connect ECONNREFUSED`, retried by Temporal's default) and the deployment ended `aborted`.
 * Now it waits for PostgreSQL first (database.outageWait, saying where in its heartbeat) and a
 * failure while PostgreSQL was away is a retryable DatabaseUnreachable; the retry rehearses again.
 */
const name = `reh_${randomBytes(3).toString('hex')}`;
const role = `${name}_app`;
const password = `pw-${randomBytes(9).toString('base64url')}`;
const root = mkdtempSync(join(tmpdir(), 'safe-deploy-rehearsal-outage-'));

const superuser = (sql: string, database?: string) => asSuperuser(sql, [], database);
const exists = async (database: string) =>
  (await superuser(`SELECT 1 FROM pg_database WHERE datname = '${database}'`)).length === 1;
const urlOn = (port: number) => `postgresql://${role}:${encodeURIComponent(password)}@127.0.0.1:${port}/${name}`;

beforeAll(async () => {
  await superuser(`CREATE ROLE "${role}" LOGIN CREATEDB PASSWORD '${password}'`);
  await superuser(`CREATE DATABASE "${name}" OWNER "${role}"`);
  const c = new pg.Client({ connectionString: urlOn(inject('pg').port) });
  await c.connect();
  try {
    await c.query(`CREATE TABLE _prisma_migrations (id varchar(36) PRIMARY KEY, checksum varchar(64) NOT NULL, finished_at timestamptz, migration_name varchar(255) NOT NULL,
      logs text, rolled_back_at timestamptz, started_at timestamptz NOT NULL DEFAULT now(), applied_steps_count integer NOT NULL DEFAULT 0)`);
    await c.query(
      `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ('1', 'c1', now(), '20260101000000_init', 1)`,
    );
    await c.query('CREATE TABLE items (id integer PRIMARY KEY, body text NOT NULL)');
    await c.query(`INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, 50) g`);
  } finally {
    await c.end();
  }
});
afterAll(async () => {
  await superuser(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await superuser(`DROP ROLE IF EXISTS "${role}"`);
  rmSync(root, { recursive: true, force: true });
});

/** A target whose database URL points at `port`; its "migration" adds one row to _prisma_migrations of the database it is given. */
function target(port: number, outageWait: string): { t: TargetConfig; env: Record<string, string> } {
  const psql = join(inject('pg').binDir, 'psql');
  const migrate = [
    'sh',
    '-c',
    `"${psql}" "$DATABASE_URL" -v ON_ERROR_STOP=1 -q -c "INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, applied_steps_count) VALUES ('2', 'c2', now(), '20260201000000_more', 1)"`,
  ];
  const env = environmentConfigSchema.parse({
    appDir: root,
    database: { urlEnv: 'REHEARSAL_TEST_DATABASE_URL', outageWait },
    backup: { dir: join(root, 'backups') },
    commands: { restart: ['true'], migrateDeploy: migrate },
    writes: { policy: 'detect' },
    baseUrl: 'http://127.0.0.1:9',
  });
  return {
    t: { ...env, app: 'farm-chat', environment: `reh-${name.slice(4)}`, pgBinDir: inject('pg').binDir },
    env: { REHEARSAL_TEST_DATABASE_URL: urlOn(port) },
  };
}

function input(t: TargetConfig, deploymentId: string): RehearsalInput {
  const manifest = releaseManifestSchema.parse({});
  mkdirSync(join(root, 'staged'), { recursive: true });
  return {
    deploymentId,
    target: t,
    stagedDir: join(root, 'staged'),
    baseline: [],
    release: {
      commit: 'b'.repeat(40),
      name: 'v2',
      manifest,
      migrations: ['20260101000000_init', '20260201000000_more'],
    },
    previous: { commit: 'a'.repeat(40), name: 'v1', manifest, migrations: ['20260101000000_init'], dir: root },
  };
}

const mock = () => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });

describe('the online rehearsal and a PostgreSQL outage', () => {
  it('waits for PostgreSQL before it dumps production, says where it waits, and rehearses once it answers (its copy dropped after)', async () => {
    const port = await freePort(); // nothing listens there for 3 s
    const back = pgComesBackOn(port, 3_000, inject('pg'));
    const { t, env } = target(port, '60 seconds');
    const deploymentId = `reh-wait-${randomBytes(3).toString('hex')}`;
    const beats: Record<string, unknown>[] = [];
    const m = mock();
    m.on('heartbeat', (d: Record<string, unknown>) => beats.push(d));
    try {
      const r = (await m.run(() =>
        createRehearsalActivities({ configPath: '/nonexistent', env }).rehearseMigration(input(t, deploymentId)),
      )) as RehearsalFacts;
      expect(r.migrations.map((x) => x.name)).toEqual(['20260201000000_more']);
      expect(beats[0]).toMatchObject({ phase: `waiting for PostgreSQL at 127.0.0.1:${port}` });
      expect(beats.some((b) => b.phase === 'copy')).toBe(true); // then the dump of production, restored into the copy
    } finally {
      await back.close();
    }
    expect(await exists(ownDatabaseName(name, deploymentId, 'rehearsal-copy'))).toBe(false);
    // Production untouched: the migration ran on the copy only.
    expect(
      (await superuser('SELECT migration_name FROM _prisma_migrations ORDER BY 1', name)).map((x) => x.migration_name),
    ).toEqual(['20260101000000_init']);
  }, 60_000);

  it('PostgreSQL still away after database.outageWait: a retryable DatabaseUnreachable naming where, nothing made', async () => {
    const port = await freePort(); // nothing ever listens there
    const { t, env } = target(port, '2 seconds');
    const deploymentId = `reh-away-${randomBytes(3).toString('hex')}`;
    const err = await mock()
      .run(() =>
        createRehearsalActivities({ configPath: '/nonexistent', env }).rehearseMigration(input(t, deploymentId)),
      )
      .then(
        () => {
          throw new Error('no failure');
        },
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'DatabaseUnreachable', nonRetryable: false });
    expect((err as Error).message).toContain(`[rehearse] waiting for PostgreSQL at 127.0.0.1:${port} (`);
    const work = join(root, 'backups', 'work');
    expect(existsSync(work) ? readdirSync(work).filter((n) => n.startsWith('rehearsal-')) : []).toEqual([]);
    expect(await exists(ownDatabaseName(name, deploymentId, 'rehearsal-copy'))).toBe(false);
  }, 30_000);
});
