import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { NON_VOLATILE_FUNCTIONS } from '../../src/lint/builtinFunctions.js';
import { lintMigration, lintMigrations } from '../../src/lint/index.js';

// The two rules about how a migration runs rest on PostgreSQL behaviour; prove it on a real server.
// A query string with several statements, sent without parameters (the simple query protocol, as
// Prisma's schema engine sends migration.sql), runs in one implicit transaction.

const database = `lint_premises_${randomBytes(4).toString('hex')}`;
const admin = () => new pg.Client({ connectionString: inject('pg').superuserUrl });
const connect = async () => {
  const url = new URL(inject('pg').superuserUrl);
  url.pathname = `/${database}`;
  const c = new pg.Client({ connectionString: url.toString() });
  await c.connect();
  return c;
};
const rulesOf = (sql: string) => lintMigration('m', sql).findings.map((f) => f.rule);

beforeAll(async () => {
  const c = admin();
  await c.connect();
  await c.query(`CREATE DATABASE ${database}`);
  await c.end();
  const db = await connect();
  await db.query(`CREATE TABLE t (a int);
    CREATE TABLE v (a int);
    INSERT INTO v SELECT generate_series(1, 600);
    CREATE FUNCTION slow_positive(x int) RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.003); RETURN x > 0; END $$;`);
  await db.end();
});

afterAll(async () => {
  const c = admin();
  await c.connect();
  await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await c.end();
});

describe('concurrently-in-transaction', () => {
  it.each([
    "SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY t_a_1 ON t (a);",
    'SELECT 1;\nCOMMIT;\nCREATE INDEX CONCURRENTLY t_a_2 ON t (a);',
    'CREATE INDEX CONCURRENTLY t_a_3 ON t (a);\nSELECT 1;',
  ])('a multi-statement migration with CONCURRENTLY fails on PostgreSQL, and is flagged: %s', async (sql) => {
    expect(rulesOf(sql)).toContain('concurrently-in-transaction');
    const db = await connect();
    try {
      await expect(db.query(sql)).rejects.toThrow(/cannot run inside a transaction block/);
    } finally {
      await db.end();
    }
  });

  it('the same statement alone succeeds, and is not flagged', async () => {
    const sql = '-- CreateIndex\nCREATE INDEX CONCURRENTLY t_a_alone ON t (a);\n';
    expect(rulesOf(sql)).not.toContain('concurrently-in-transaction');
    const db = await connect();
    try {
      await db.query(sql);
      const { rows } = await db.query("SELECT indisvalid FROM pg_index WHERE indexrelid = 't_a_alone'::regclass");
      expect(rows).toEqual([{ indisvalid: true }]);
    } finally {
      await db.end();
    }
  });
});

describe('validate-in-same-transaction', () => {
  /**
   * Runs `before` and then `migration` (each one query) and, once the migration holds a lock on v,
   * tries to read v from another session.
   */
  async function readDuringMigration(before: string, migration: string): Promise<'read' | 'blocked'> {
    const [runner, reader] = [await connect(), await connect()];
    try {
      await runner.query(`ALTER TABLE v DROP CONSTRAINT IF EXISTS c;\n${before}`);
      const pid = (await runner.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
      const running = runner.query(migration);
      for (let i = 0; i < 300; i++) {
        // until the migration holds its lock on v (validating takes ~2 s)
        const { rows } = await reader.query(
          "SELECT 1 FROM pg_locks WHERE pid = $1 AND relation = 'v'::regclass AND granted",
          [pid],
        );
        if (rows.length > 0) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      await reader.query("SET lock_timeout = '300ms'");
      const outcome = await reader.query('SELECT count(*) FROM v').then(
        () => 'read' as const,
        (err: Error) => {
          if (!/lock timeout/.test(err.message)) throw err;
          return 'blocked' as const;
        },
      );
      await running;
      const { rows } = await reader.query("SELECT convalidated FROM pg_constraint WHERE conname = 'c'");
      expect(rows).toEqual([{ convalidated: true }]); // the validation really ran
      return outcome;
    } finally {
      await runner.end();
      await reader.end();
    }
  }

  const add = 'ALTER TABLE v ADD CONSTRAINT c CHECK (slow_positive(a)) NOT VALID;';
  const validate = 'ALTER TABLE v VALIDATE CONSTRAINT c;';

  it('ADD CONSTRAINT … NOT VALID then VALIDATE in one migration keeps readers out during the validation', async () => {
    expect(rulesOf(`${add}\n${validate}`)).toContain('validate-in-same-transaction');
    expect(await readDuringMigration('SELECT 1', `${add}\n${validate}`)).toBe('blocked');
  });

  it('VALIDATE in a later migration lets readers through', async () => {
    expect(rulesOf(validate)).not.toContain('validate-in-same-transaction');
    expect(await readDuringMigration(add, validate)).toBe('read');
  });
});

/** Runs `sql` as one query (as Prisma sends a migration) on a fresh connection; resolves to the error message, or undefined. */
async function run(sql: string): Promise<string | undefined> {
  const db = await connect();
  try {
    await db.query(sql);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await db.end();
  }
}

async function one<T>(sql: string): Promise<T> {
  const db = await connect();
  try {
    return (await db.query(sql)).rows[0] as T;
  } finally {
    await db.end();
  }
}

const relfilenode = async (table: string) =>
  (await one<{ n: string }>(`SELECT relfilenode::text AS n FROM pg_class WHERE oid = '${table}'::regclass`)).n;

describe('the rules added for issue 16, on PostgreSQL', () => {
  it('transaction-control: a COMMIT mid-migration leaves the first part applied when a later statement fails', async () => {
    const sql = 'CREATE TABLE half_a (a int);\nCOMMIT;\nCREATE TABLE half_b (a int);\nSELECT 1/0;';
    expect(rulesOf(sql)).toContain('transaction-control');
    expect(await run(sql)).toMatch(/division by zero/);
    expect(await one("SELECT to_regclass('half_a')::text AS a, to_regclass('half_b')::text AS b")).toEqual({
      a: 'half_a',
      b: null,
    });
  });

  it('transaction-control: a BEGIN never committed leaves the session inside an open transaction', async () => {
    const sql = 'BEGIN;\nCREATE TABLE never_committed (a int);';
    expect(rulesOf(sql)).toContain('transaction-control');
    const db = await connect();
    try {
      await db.query(sql);
      expect((await db.query('SELECT now() = statement_timestamp() AS fresh')).rows[0]).toEqual({ fresh: false }); // still the migration's transaction
    } finally {
      await db.end(); // closing rolls it back
    }
    expect(await one("SELECT to_regclass('never_committed')::text AS t")).toEqual({ t: null });
  });

  it('cannot-run-in-transaction: VACUUM beside another statement fails; alone it runs', async () => {
    expect(rulesOf('SELECT 1;\nVACUUM t;')).toContain('cannot-run-in-transaction');
    expect(await run('SELECT 1;\nVACUUM t;')).toMatch(/VACUUM cannot run inside a transaction block/);
    expect(rulesOf('VACUUM t;')).not.toContain('cannot-run-in-transaction');
    expect(await run('VACUUM t;')).toBeUndefined();
  });

  it('enum-value-used-in-transaction: a new value used in the same migration fails, even of a type made in it; once committed it works', async () => {
    await run("CREATE TYPE role AS ENUM ('user'); CREATE TABLE members (role role NOT NULL DEFAULT 'user');");
    const used = "ALTER TYPE role ADD VALUE 'guest';\nALTER TABLE members ALTER COLUMN role SET DEFAULT 'guest';";
    expect(rulesOf(used)).toContain('enum-value-used-in-transaction');
    expect(await run(used)).toMatch(/unsafe use of new value "guest" of enum type role/);
    const committed =
      "ALTER TYPE role ADD VALUE 'owner';\nCOMMIT;\nALTER TABLE members ALTER COLUMN role SET DEFAULT 'owner';";
    expect(rulesOf(committed)).not.toContain('enum-value-used-in-transaction');
    expect(await run(committed)).toBeUndefined();
    const fresh =
      "CREATE TYPE mood AS ENUM ('happy');\nALTER TYPE mood ADD VALUE 'sad';\nCREATE TABLE notes (mood mood NOT NULL DEFAULT 'sad');";
    expect(rulesOf(fresh)).toContain('enum-value-used-in-transaction');
    expect(await run(fresh)).toMatch(/unsafe use of new value "sad"/);
  });

  it('concurrently-in-transaction: REINDEX (CONCURRENTLY false) runs inside the transaction, so it is not flagged', async () => {
    const sql = 'SELECT 1;\nREINDEX (CONCURRENTLY false) TABLE t;';
    expect(rulesOf(sql)).not.toContain('concurrently-in-transaction');
    expect(rulesOf(sql)).toContain('reindex-without-concurrently');
    expect(await run(sql)).toBeUndefined();
    expect(await run('SELECT 1;\nREINDEX (CONCURRENTLY true) TABLE t;')).toMatch(
      /cannot run inside a transaction block/,
    );
  });

  it('add-json-column: SELECT DISTINCT over a table with a json column fails', async () => {
    const sql = 'ALTER TABLE v ADD COLUMN doc json;';
    expect(rulesOf(sql)).toContain('add-json-column');
    expect(await run('SELECT DISTINCT * FROM v;')).toBeUndefined();
    await run(sql);
    expect(await run('SELECT DISTINCT * FROM v;')).toMatch(/could not identify an equality operator for type json/);
    await run('ALTER TABLE v DROP COLUMN doc;');
  });

  it('add-column-volatile-default: lists only functions that are never VOLATILE here, and a default of them rewrites nothing', async () => {
    const { names } = await one<{ names: string[] }>(
      `SELECT coalesce(array_agg(DISTINCT proname::text), '{}') AS names FROM pg_proc WHERE pronamespace = 'pg_catalog'::regnamespace AND provolatile = 'v' AND proname = ANY('{${[...NON_VOLATILE_FUNCTIONS].join(',')}}'::text[])`,
    );
    expect(names).toEqual([]);
    for (const [def, rewrites] of [
      ["now() + interval '1 day'", false],
      ["jsonb_build_object('v', 1)", false],
      ['clock_timestamp()', true],
      ['gen_random_uuid()', true],
    ] as const) {
      const sql = `ALTER TABLE v ADD COLUMN d_${rewrites ? 'r' : 'k'} ${def.includes('jsonb') ? 'jsonb' : def.includes('uuid') ? 'uuid' : 'timestamptz'} DEFAULT ${def};`;
      expect(rulesOf(sql).includes('add-column-volatile-default'), sql).toBe(rewrites);
      const before = await relfilenode('v');
      expect(await run(sql)).toBeUndefined();
      expect((await relfilenode('v')) !== before, sql).toBe(rewrites);
      await run(`ALTER TABLE v DROP COLUMN d_${rewrites ? 'r' : 'k'};`);
    }
  });

  it('change-column-type: the widening changes the lint lets through rewrite nothing; the others rewrite', async () => {
    const create =
      'CREATE TABLE widen (id int, name varchar(100), price numeric(10,2), at timestamp(3), net cidr, code varchar(20));';
    await run(`${create}\nINSERT INTO widen VALUES (1, 'a', 1.5, now(), '10.0.0.0/8', 'x');`);
    const cases: [string, boolean][] = [
      ['ALTER TABLE widen ALTER COLUMN name TYPE varchar(255);', false],
      ['ALTER TABLE widen ALTER COLUMN name TYPE text;', false],
      ['ALTER TABLE widen ALTER COLUMN price TYPE numeric(12,2);', false],
      ['ALTER TABLE widen ALTER COLUMN at TYPE timestamp(6);', false],
      ['ALTER TABLE widen ALTER COLUMN net TYPE inet;', false],
      ['ALTER TABLE widen ALTER COLUMN price TYPE numeric(12,3);', true],
      ['ALTER TABLE widen ALTER COLUMN id TYPE bigint;', true],
    ];
    const history = [create];
    for (const [sql, rewrites] of cases) {
      const found = lintMigrations([...history, sql].map((s, i) => ({ name: `${i}`, sql: s })))
        .migrations.at(-1)!
        .findings.map((f) => f.rule);
      expect(found.includes('change-column-type'), sql).toBe(rewrites);
      const before = await relfilenode('widen');
      expect(await run(sql)).toBeUndefined();
      expect((await relfilenode('widen')) !== before, sql).toBe(rewrites);
      history.push(sql);
    }
  });
});
