import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
import { asSuperuser } from '../helpers/superuser.js';

/**
 * Issue 14: the online rehearsal copied every row of production (a gigabyte dumped and restored
 * before every deployment) although a migration's outcome depends only on the rows of the tables
 * it reaches. With `rehearsal.rows: needed` (the default) the copy gets every table's schema and
 * only those rows: here, on a database with odd names (multibyte, a quote, a `*` that must not
 * act as a wildcard), foreign keys, partitions, a trigger and a user function, each case shows
 * which tables reached the copy with their rows — read inside the copy by the "migration" itself —
 * and that a failure that depends on the data is still caught.
 */
const name = `rows_${randomBytes(3).toString('hex')}`;
const role = `${name}_app`;
const password = `pw-${randomBytes(9).toString('base64url')}`;
const root = mkdtempSync(join(tmpdir(), 'safe-deploy-rehearsal-rows-'));
const url = () => `postgresql://${role}:${encodeURIComponent(password)}@127.0.0.1:${inject('pg').port}/${name}`;
const superuser = (sql: string, database?: string) => asSuperuser(sql, [], database);

const SCHEMA = `
  CREATE TABLE _prisma_migrations (id varchar(36) PRIMARY KEY, checksum varchar(64) NOT NULL, finished_at timestamptz,
    migration_name varchar(255) NOT NULL, logs text, rolled_back_at timestamptz, started_at timestamptz NOT NULL DEFAULT now(),
    applied_steps_count integer NOT NULL DEFAULT 0);
  INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name) VALUES ('1', 'c1', now(), '20260101000000_init');
  CREATE TABLE "Üsers ☃" (id int PRIMARY KEY, name text NOT NULL);
  INSERT INTO "Üsers ☃" SELECT g, 'name ' || (g % 5) FROM generate_series(1, 20) g;
  CREATE TABLE "möss.ages" (id int PRIMARY KEY, "userId" int NOT NULL REFERENCES "Üsers ☃"(id) ON DELETE CASCADE, body text);
  INSERT INTO "möss.ages" SELECT g, 1 + g % 20, 'body ' || g FROM generate_series(1, 200) g;
  CREATE TABLE "a*" (id int PRIMARY KEY);  INSERT INTO "a*" SELECT generate_series(1, 3);
  CREATE TABLE ab (id int PRIMARY KEY);    INSERT INTO ab SELECT generate_series(1, 4);
  CREATE TABLE "q""uote" (id int);         INSERT INTO "q""uote" SELECT generate_series(1, 5);
  CREATE TABLE events (id int, at date NOT NULL) PARTITION BY RANGE (at);
  CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
  CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
  INSERT INTO events SELECT g, date '2025-06-01' + g * 3 FROM generate_series(1, 100) g;
  CREATE TABLE audited (id int PRIMARY KEY);
  CREATE TABLE audit_log (id int);         INSERT INTO audit_log VALUES (1);
  CREATE FUNCTION log_it() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit_log VALUES (NEW.id); RETURN NEW; END $$;
  CREATE TRIGGER audited_log AFTER INSERT ON audited FOR EACH ROW EXECUTE FUNCTION log_it();
  CREATE FUNCTION next_code() RETURNS int LANGUAGE sql AS $$ SELECT count(*)::int FROM audit_log $$;
`;

beforeAll(async () => {
  await superuser(`CREATE ROLE "${role}" LOGIN CREATEDB PASSWORD '${password}'`);
  await superuser(`CREATE DATABASE "${name}" OWNER "${role}"`);
  const c = new pg.Client({ connectionString: url() });
  await c.connect();
  try {
    await c.query(SCHEMA);
  } finally {
    await c.end();
  }
});
afterAll(async () => {
  await superuser(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await superuser(`DROP ROLE IF EXISTS "${role}"`);
  rmSync(root, { recursive: true, force: true });
});

/**
 * A staged release whose pending migration is `sql`; its "migrate deploy" runs the file with psql
 * and then writes every public table's row count, read inside the copy, to a file.
 */
function staged(sql: string): { t: TargetConfig; env: Record<string, string>; dir: string; counts: string } {
  const dir = mkdtempSync(join(root, 'staged-'));
  for (const [migration, text] of [
    ['20260101000000_init', '-- applied'],
    ['20260201000000_next', sql],
  ] as const) {
    mkdirSync(join(dir, 'prisma', 'migrations', migration), { recursive: true });
    writeFileSync(join(dir, 'prisma', 'migrations', migration, 'migration.sql'), text);
  }
  const counts = join(dir, 'counts.json');
  const psql = join(inject('pg').binDir, 'psql');
  const countAll = `SELECT json_object_agg(c.relname, (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM ONLY %I.%I', n.nspname, c.relname), false, true, '')))[1]::text::int) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r'`;
  const migrate = [
    'sh',
    '-c',
    `"${psql}" "$DATABASE_URL" -v ON_ERROR_STOP=1 -q -f prisma/migrations/20260201000000_next/migration.sql && "${psql}" "$DATABASE_URL" -At -c "${countAll}" > counts.json`,
  ];
  const env = environmentConfigSchema.parse({
    appDir: root,
    database: { urlEnv: 'REHEARSAL_ROWS_DATABASE_URL' },
    backup: { dir: join(root, 'backups') },
    commands: { restart: ['true'], migrateDeploy: migrate },
    writes: { policy: 'detect' },
    baseUrl: 'http://127.0.0.1:9',
  });
  return {
    t: { ...env, app: 'farm-chat', environment: `rows-${name.slice(5)}`, pgBinDir: inject('pg').binDir },
    env: { REHEARSAL_ROWS_DATABASE_URL: url() },
    dir,
    counts,
  };
}

async function rehearse(sql: string, rows?: 'all'): Promise<{ facts: RehearsalFacts; counts: Record<string, number> }> {
  const s = staged(sql);
  const manifest = releaseManifestSchema.parse({});
  const t = rows ? { ...s.t, rehearsal: { ...s.t.rehearsal, rows } } : s.t;
  const input: RehearsalInput = {
    deploymentId: `rows-${randomBytes(3).toString('hex')}`,
    target: t,
    stagedDir: s.dir,
    baseline: [],
    release: { commit: 'b'.repeat(40), name: 'v2', manifest, migrations: [] },
    previous: { commit: 'a'.repeat(40), name: 'v1', manifest, migrations: ['20260101000000_init'], dir: root },
  };
  const facts = (await new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') }).run(() =>
    createRehearsalActivities({ configPath: '/nonexistent', env: s.env }).rehearseMigration(input),
  )) as RehearsalFacts;
  const copy = ownDatabaseName(name, input.deploymentId, 'rehearsal-copy');
  expect(await superuser(`SELECT 1 FROM pg_database WHERE datname = '${copy}'`)).toEqual([]); // dropped after
  return { facts, counts: JSON.parse(readFileSync(s.counts, 'utf8')) as Record<string, number> };
}

/** Every public table's rows in production: what a copy of every row holds. */
const ALL = {
  _prisma_migrations: 1,
  'Üsers ☃': 20,
  'möss.ages': 200,
  'a*': 3,
  ab: 4,
  'q"uote': 5,
  events_2025: 71,
  events_2026: 29,
  audited: 0,
  audit_log: 1,
};
const none = Object.fromEntries(Object.keys(ALL).map((k) => [k, 0]));

describe('the rehearsal copy gets the rows the migration can depend on', () => {
  it('an added column: every schema, but only the altered table’s rows and _prisma_migrations’', async () => {
    const { facts, counts } = await rehearse('ALTER TABLE "Üsers ☃" ADD COLUMN vip boolean NOT NULL DEFAULT false;');
    expect(facts.copied).toEqual({ rowsOf: ['public._prisma_migrations', 'public.Üsers ☃'] });
    expect(counts).toEqual({ ...none, _prisma_migrations: 1, 'Üsers ☃': 20 });
  }, 60_000);

  it('names are exact, never patterns: "a*" and a quote in a name copy only those tables', async () => {
    const { facts, counts } = await rehearse(
      'ALTER TABLE "a*" ADD COLUMN x int; ALTER TABLE "q""uote" ADD COLUMN y int;',
    );
    expect(facts.copied).toEqual({ rowsOf: ['public._prisma_migrations', 'public.a*', 'public.q"uote'] });
    expect(counts).toEqual({ ...none, _prisma_migrations: 1, 'a*': 3, 'q"uote': 5 });
  }, 60_000);

  it('rows deleted reach the tables that reference them (ON DELETE CASCADE): both copied', async () => {
    const { facts, counts } = await rehearse('DELETE FROM "Üsers ☃" WHERE id = 1;');
    expect(facts.copied).toEqual({ rowsOf: ['public._prisma_migrations', 'public.möss.ages', 'public.Üsers ☃'] });
    // The cascade ran on the copy as it would in production: user 1's 10 messages went with it.
    expect(counts).toEqual({ ...none, _prisma_migrations: 1, 'Üsers ☃': 19, 'möss.ages': 190 });
  }, 60_000);

  it('a copied table brings the rows its foreign keys reference: the restore validates them (found by CI: farm-chat v3 drops the FK, then satshot_tokens)', async () => {
    const { facts, counts } = await rehearse(
      'ALTER TABLE "möss.ages" DROP CONSTRAINT "möss.ages_userId_fkey"; DROP TABLE "möss.ages";',
    );
    expect(facts.copied).toEqual({ rowsOf: ['public._prisma_migrations', 'public.möss.ages', 'public.Üsers ☃'] });
    const { 'möss.ages': dropped, ...others } = none; // dropped on the copy: no count
    expect(dropped).toBe(0);
    expect(counts).toEqual({ ...others, _prisma_migrations: 1, 'Üsers ☃': 20 });
  }, 60_000);

  it("a partitioned table's partitions come with it", async () => {
    const { counts } = await rehearse('ALTER TABLE events ADD COLUMN kind text;');
    expect(counts).toEqual({ ...none, _prisma_migrations: 1, events_2025: 71, events_2026: 29 });
  }, 60_000);

  it('a failure that depends on the data is still caught: a unique index over duplicate names', async () => {
    const err = await rehearse('CREATE UNIQUE INDEX users_name ON "Üsers ☃" (name);').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'RehearsalFailed', nonRetryable: true });
    expect((err as Error).message).toMatch(/could not create unique index|duplicate key/);
  }, 60_000);

  it.each([
    [
      'INSERT INTO audited VALUES (7);',
      /rows written reach public\.audited, whose trigger audited_log may touch any table/,
    ],
    [
      'ALTER TABLE ab ADD COLUMN code int DEFAULT next_code();',
      /it calls next_code\(\), which is not PostgreSQL's own/,
    ],
    ['DO $$ BEGIN PERFORM 1; END $$;', /20260201000000_next line 1: a Do statement/],
  ])(
    '%s could reach any table: every row, and why',
    async (sql, why) => {
      const { facts, counts } = await rehearse(sql);
      expect(facts.copied).toEqual({ everyRow: expect.stringMatching(why) });
      expect(counts['möss.ages']).toBe(200);
      expect(counts['a*']).toBe(3);
    },
    60_000,
  );

  it('rehearsal.rows: all copies every row', async () => {
    const { facts, counts } = await rehearse('ALTER TABLE ab ADD COLUMN z int;', 'all');
    expect(facts.copied).toEqual({ everyRow: 'rehearsal.rows is all' });
    expect(counts).toEqual(ALL);
  }, 60_000);

  it('production never changed', async () => {
    const c = new pg.Client({ connectionString: url() });
    await c.connect();
    try {
      const { rows } = await c.query<{ n: string }>('SELECT count(*) AS n FROM "Üsers ☃"');
      expect(rows[0]!.n).toBe('20');
      const cols = await c.query(
        `SELECT 1 FROM information_schema.columns WHERE column_name IN ('vip', 'x', 'kind', 'z')`,
      );
      expect(cols.rowCount).toBe(0);
    } finally {
      await c.end();
    }
  });
});
