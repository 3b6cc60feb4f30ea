import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

/**
 * A real database for the lint's live facts: a tiny table, one above the default threshold
 * (20,000 rows, analyzed as autovacuum would), an empty one, a quoted multibyte one in its own
 * schema, a validated CHECK (col IS NOT NULL), and an immutable and a volatile user function.
 * Owned by a role of its own whose password must never show in the lint's output.
 */
export interface LintDatabase {
  name: string;
  /** The role's URL (a secret). */
  url: string;
  password: string;
  close(): Promise<void>;
}

const ZAEHLER = 'Zähler "q" 計数';

export const LINT_DATABASE_SQL = `
  CREATE TABLE tiny (id serial PRIMARY KEY, note text);
  INSERT INTO tiny (note) SELECT 'n' || i FROM generate_series(1, 5) i;
  CREATE TABLE big (id serial PRIMARY KEY, body text, a int);
  INSERT INTO big (body, a) SELECT repeat('x', 40) || i, i FROM generate_series(1, 20000) i;
  ALTER TABLE big ADD CONSTRAINT big_a_not_null CHECK (a IS NOT NULL);
  CREATE TABLE empty_one (id int);
  CREATE SCHEMA app;
  CREATE TABLE app."${ZAEHLER.replaceAll('"', '""')}" (id int, n int);
  INSERT INTO app."${ZAEHLER.replaceAll('"', '""')}" SELECT i, i FROM generate_series(1, 3) i;
  CREATE INDEX big_body ON big (body);
  CREATE FUNCTION region_of_now() RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT 'eu' $$;
  CREATE FUNCTION next_ticket() RETURNS bigint LANGUAGE sql VOLATILE AS $$ SELECT (random() * 1000)::bigint $$;
  ANALYZE;`;

export const ZAEHLER_TABLE = ZAEHLER;

export async function createLintDatabase(prefix: string): Promise<LintDatabase> {
  const suffix = randomBytes(4).toString('hex');
  const name = `${prefix}_${suffix}`;
  const role = `${prefix}_role_${suffix}`;
  const password = `pw-${randomBytes(9).toString('base64url')}`;
  const admin = new pg.Client({ connectionString: inject('pg').superuserUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    await admin.query(`CREATE DATABASE ${name} OWNER ${role}`);
  } finally {
    await admin.end();
  }
  const { host, port } = inject('pg');
  const url = `postgresql://${role}:${encodeURIComponent(password)}@${host}:${port}/${name}`;
  const owner = new pg.Client({ connectionString: url });
  await owner.connect();
  try {
    await owner.query(LINT_DATABASE_SQL);
  } finally {
    await owner.end();
  }
  return {
    name,
    url,
    password,
    async close() {
      const c = new pg.Client({ connectionString: inject('pg').superuserUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.query(`DROP ROLE IF EXISTS ${role}`);
      } finally {
        await c.end();
      }
    },
  };
}
