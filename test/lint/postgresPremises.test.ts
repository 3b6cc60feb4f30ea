import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { lintMigration } from '../../src/lint/index.js';

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
      for (let i = 0; i < 300; i++) { // until the migration holds its lock on v (validating takes ~2 s)
        const { rows } = await reader.query("SELECT 1 FROM pg_locks WHERE pid = $1 AND relation = 'v'::regclass AND granted", [pid]);
        if (rows.length > 0) break;
        await new Promise((r) => setTimeout(r, 10));
      }
      await reader.query("SET lock_timeout = '300ms'");
      const outcome = await reader.query('SELECT count(*) FROM v').then(() => 'read' as const, (err: Error) => {
        if (!/lock timeout/.test(err.message)) throw err;
        return 'blocked' as const;
      });
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
