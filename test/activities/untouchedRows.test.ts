import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { rowsUntouchedSince } from '../../src/postgres/state.js';

/**
 * Issue 13.2 on a real PostgreSQL: after a code-only rollback, "verified" means every row of the
 * backup is still the very row version the backup holds. A row updated or deleted since has a
 * newer xmin or none; the boundary is the backup snapshot's xmin.
 */
const database = `untouched_${randomBytes(3).toString('hex')}`;
let c: pg.Client;
const admin = async (sql: string) => {
  const a = new pg.Client({ connectionString: inject('pg').superuserUrl });
  await a.connect();
  try {
    await a.query(sql);
  } finally {
    await a.end();
  }
};

/** The boundary a backup records: the xmin of a repeatable-read snapshot, as the dump's. */
async function backupBoundary(): Promise<string> {
  await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  const { rows } = await c.query<{ b: string }>('SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS b');
  await c.query('COMMIT');
  return rows[0]!.b;
}

beforeAll(async () => {
  await admin(`CREATE DATABASE ${database}`);
  c = new pg.Client({ connectionString: inject('pg').superuserUrl.replace(/\/postgres$/, `/${database}`) });
  await c.connect();
});
afterAll(async () => {
  await c?.end();
  await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
});

describe('rows untouched since the backup', () => {
  it('are all of them when only rows were added, a column added with a constant default, an index built', async () => {
    await c.query(
      `CREATE TABLE users (id int PRIMARY KEY, email text); INSERT INTO users SELECT i, 'u' || i FROM generate_series(1, 30) i`,
    );
    const boundary = await backupBoundary();
    await c.query(
      `INSERT INTO users VALUES (31, 'new'); ALTER TABLE users ADD COLUMN active boolean NOT NULL DEFAULT true; CREATE INDEX ON users (email)`,
    );
    expect(await rowsUntouchedSince(c, 'public.users', boundary)).toBe(30);
  });

  it('leave out every row updated (even to the same value) or deleted since', async () => {
    await c.query(
      `CREATE TABLE notes (id int, body text); INSERT INTO notes SELECT i, 'b' || i FROM generate_series(1, 20) i`,
    );
    const boundary = await backupBoundary();
    await c.query(
      `UPDATE notes SET body = lower(body) WHERE id <= 3; UPDATE notes SET body = body WHERE id = 4; DELETE FROM notes WHERE id = 20`,
    );
    expect(await rowsUntouchedSince(c, 'public.notes', boundary)).toBe(15);
  });

  it('leave out every row a table rewrite touched (a type change with USING)', async () => {
    await c.query(
      `CREATE TABLE amounts (id int, v int); INSERT INTO amounts SELECT i, i FROM generate_series(1, 10) i`,
    );
    const boundary = await backupBoundary();
    await c.query(`ALTER TABLE amounts ALTER COLUMN v TYPE text USING (v * 2)::text`);
    expect(await rowsUntouchedSince(c, 'public.amounts', boundary)).toBe(0);
  });

  it('count frozen rows (VACUUM FREEZE) as untouched', async () => {
    await c.query(`CREATE TABLE frozen (id int); INSERT INTO frozen SELECT generate_series(1, 5)`);
    const boundary = await backupBoundary();
    await c.query('VACUUM (FREEZE) frozen');
    expect(await rowsUntouchedSince(c, 'public.frozen', boundary)).toBe(5);
  });
});
