import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { captureColumns, existingDataChanges } from '../../src/postgres/state.js';
import { asSuperuser } from '../helpers/superuser.js';

/**
 * Issue 13.1 on a real PostgreSQL: what a migration did to the data that existed before it, told
 * by content (every table and column before and after, and the rows no later transaction wrote),
 * as the rehearsal measures it on its copy. A code-only rollback is allowed only on [].
 */
const database = `existing_${randomBytes(3).toString('hex')}`;
const superuser = (sql: string, db?: string) => asSuperuser(sql, [], db);

/** Fingerprints, runs `migration` in its own transactions (as Prisma would), and returns what changed. */
async function changesOf(migration: string): Promise<ReturnType<typeof existingDataChanges>> {
  await superuser(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await superuser(`CREATE DATABASE ${database}`);
  await superuser(
    `CREATE TABLE "User" (id int PRIMARY KEY, email text NOT NULL, age int, note text);
    INSERT INTO "User" SELECT i, 'User' || i || '@Example.com', 20 + i, CASE WHEN i % 2 = 0 THEN NULL ELSE 'n' || i END FROM generate_series(1, 50) i;
    CREATE TABLE log (line text); INSERT INTO log SELECT 'line ' || i FROM generate_series(1, 20) i;`,
    database,
  );
  const c = new pg.Client({ connectionString: inject('pg').superuserUrl.replace(/\/postgres$/, `/${database}`) });
  await c.connect();
  try {
    const before = await captureColumns(c);
    const since = (await c.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid')).rows[0]!.xid;
    await superuser(migration, database);
    const after = await captureColumns(c, before);
    const untouched = await captureColumns(c, before, { unchangedSince: since });
    return existingDataChanges(before, after, untouched);
  } finally {
    await c.end();
  }
}

afterAll(async () => superuser(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));

describe('what a migration did to existing data', () => {
  it.each([
    [
      'a column added and backfilled where it is NULL',
      `ALTER TABLE "User" ADD COLUMN domain text; UPDATE "User" SET domain = split_part(email, '@', 2) WHERE domain IS NULL;`,
    ],
    [
      'rows added (INSERT), a table created',
      `INSERT INTO "User" VALUES (100, 'new@x', 1, NULL); INSERT INTO log VALUES ('added'); CREATE TABLE t (a int);`,
    ],
    ['a type widened without changing a value', `ALTER TABLE "User" ALTER COLUMN age TYPE bigint;`],
    ['an UPDATE that sets what is already there', `UPDATE "User" SET note = note WHERE id < 10;`],
    ['an index and a default', `CREATE INDEX ON "User" (email); ALTER TABLE "User" ALTER COLUMN note SET DEFAULT 'x';`],
  ])('nothing changed: %s', async (_what, migration) => {
    expect(await changesOf(migration)).toEqual([]);
  });

  it.each([
    [
      'emails lower-cased (the prisma-heroku release)',
      `UPDATE "User" SET email = lower(email) WHERE email <> lower(email);`,
      { table: 'public.User', what: 'values changed in email', columns: ['email'] },
    ],
    [
      'rows deleted',
      `DELETE FROM log WHERE line LIKE 'line 1%';`,
      { table: 'public.log', what: expect.stringContaining('rows gone'), columns: ['line'] },
    ],
    [
      'a column dropped',
      `ALTER TABLE "User" DROP COLUMN note;`,
      { table: 'public.User', what: 'columns gone: note', columns: ['note'] },
    ],
    [
      'a type change with USING that changes values',
      `ALTER TABLE "User" ALTER COLUMN age TYPE text USING (age * 2)::text;`,
      { table: 'public.User', what: 'values changed in age', columns: ['age'] },
    ],
    [
      'values swapped between rows',
      `UPDATE "User" u SET age = v.age FROM "User" v WHERE (u.id, v.id) IN ((1, 2), (2, 1));`,
      { table: 'public.User', what: 'values moved between rows', columns: [] },
    ],
    [
      'a table dropped',
      `DROP TABLE log;`,
      { table: 'public.log', what: 'the table is gone (20 rows)', columns: ['line'] },
    ],
    [
      'a rewrite the lint cannot see: inside a function the migration calls',
      `CREATE FUNCTION fix_emails() RETURNS void LANGUAGE sql AS $$ UPDATE "User" SET email = lower(email) WHERE email <> lower(email) $$; SELECT fix_emails(); DROP FUNCTION fix_emails();`,
      { table: 'public.User', what: 'values changed in email', columns: ['email'] },
    ],
    [
      'rows added AND an existing value changed',
      `INSERT INTO log VALUES ('added'); UPDATE log SET line = 'x' WHERE line = 'line 3';`,
      { table: 'public.log', what: 'values changed in line', columns: ['line'] },
    ],
  ])('changed: %s', async (_what, migration, change) => {
    expect(await changesOf(migration)).toEqual([change]);
  });
});
