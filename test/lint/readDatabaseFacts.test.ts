import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatabaseFacts } from '../../src/lint/databaseFacts.js';
import { lintMigrations } from '../../src/lint/index.js';
import { mentionedIn, readDatabaseFacts } from '../../src/lint/readDatabaseFacts.js';
import { createLintDatabase, ZAEHLER_TABLE, type LintDatabase } from '../helpers/lintDatabase.js';

// The live database's facts, read from a real PostgreSQL catalog, and the lint with them.

let db: LintDatabase;
let facts: DatabaseFacts;
const ZAEHLER_SQL = `app."${ZAEHLER_TABLE.replaceAll('"', '""')}"`;
const migration = `
ALTER TABLE tiny ADD COLUMN token bigint DEFAULT next_ticket();
ALTER TABLE big ADD COLUMN region text DEFAULT region_of_now();
ALTER TABLE big ADD COLUMN ticket bigint DEFAULT next_ticket();
ALTER TABLE big ALTER COLUMN a SET NOT NULL;
CREATE INDEX tiny_note ON tiny (note);
CREATE INDEX empty_id ON empty_one (id);
CREATE INDEX zaehler_n ON ${ZAEHLER_SQL} (n);
`;

async function read(sql: string[]): Promise<DatabaseFacts> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    return await readDatabaseFacts(c, mentionedIn(sql));
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  db = await createLintDatabase('lint_facts');
  facts = await read([migration]);
});
afterAll(() => db?.close());

describe('readDatabaseFacts', () => {
  it('reads the server version and the sizes of the tables the migration names, and only those', () => {
    expect(facts.serverMajor).toBeGreaterThanOrEqual(12);
    expect(facts.serverVersion).toMatch(/^\d+\.\d+/);
    expect(Object.keys(facts.tables).sort()).toEqual([
      'app.' + ZAEHLER_TABLE,
      'public.big',
      'public.empty_one',
      'public.tiny',
    ]);
    expect(facts.tables['public.tiny']).toMatchObject({ rows: 5, notNull: ['id'] });
    expect(facts.tables['public.big']!.rows).toBe(20000);
    expect(facts.tables['public.big']!.bytes).toBeGreaterThan(facts.tables['public.big']!.heapBytes);
    expect(facts.tables['public.empty_one']).toMatchObject({ rows: 0, heapBytes: 0 });
    expect(facts.tables['app.' + ZAEHLER_TABLE]).toMatchObject({ rows: 3 });
  });

  it('reads validated NOT NULL checks, constraints and the indexes of those tables', () => {
    expect(facts.tables['public.big']!.notNullChecks).toEqual([{ name: 'big_a_not_null', column: 'a' }]);
    expect(facts.tables['public.big']!.validConstraints.sort()).toEqual(['big_a_not_null', 'big_pkey']);
    expect(facts.indexes['public.big_body']).toEqual({ table: 'public.big', unique: false, valid: true });
    expect(facts.indexes['public.tiny_pkey']).toEqual({ table: 'public.tiny', unique: true, valid: true });
  });

  it('reads the volatility of the user functions the migration calls, bare and qualified', () => {
    expect(facts.functions).toEqual({
      region_of_now: 'immutable',
      'public.region_of_now': 'immutable',
      next_ticket: 'volatile',
      'public.next_ticket': 'volatile',
    });
  });

  it('a NOT VALID check proves nothing', async () => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      await c.query('ALTER TABLE tiny ADD CONSTRAINT tiny_note_nn CHECK (note IS NOT NULL) NOT VALID');
      const f = await readDatabaseFacts(c, mentionedIn(['ALTER TABLE tiny ALTER COLUMN note SET NOT NULL']));
      expect(f.tables['public.tiny']!.notNullChecks).toEqual([]);
      await c.query('ALTER TABLE tiny VALIDATE CONSTRAINT tiny_note_nn');
      const g = await readDatabaseFacts(c, mentionedIn(['ALTER TABLE tiny ALTER COLUMN note SET NOT NULL']));
      expect(g.tables['public.tiny']!.notNullChecks).toEqual([{ name: 'tiny_note_nn', column: 'note' }]);
      // Read-only and finished: the session is left outside any transaction.
      expect((await c.query('SHOW transaction_read_only')).rows[0]).toEqual({ transaction_read_only: 'off' });
    } finally {
      await c.query('ALTER TABLE tiny DROP CONSTRAINT IF EXISTS tiny_note_nn');
      await c.end();
    }
  });

  it('counts the rows of a small table never analyzed; a table with no page at all is empty', async () => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      await c.query(
        'CREATE TABLE fresh (id int); INSERT INTO fresh SELECT generate_series(1, 7); CREATE TABLE fresh_empty (id int)',
      );
      const f = await readDatabaseFacts(c, mentionedIn(['DROP TABLE fresh, fresh_empty']));
      expect(f.tables['public.fresh']).toMatchObject({ rows: 7, rowsCounted: true });
      expect(f.tables['public.fresh_empty']).toMatchObject({ rows: 0, heapBytes: 0 });
      const m = lintMigrations([{ name: 'm', sql: 'DROP TABLE fresh;' }], { database: f }).migrations[0]!;
      expect(m.findings[0]!.message).toContain('fresh holds 7 rows (counted)');
    } finally {
      await c.query('DROP TABLE IF EXISTS fresh, fresh_empty');
      await c.end();
    }
  });

  it('fails fast behind an ACCESS EXCLUSIVE lock instead of waiting (lock_timeout), and leaves no transaction open', async () => {
    const holder = new pg.Client({ connectionString: db.url });
    const reader = new pg.Client({ connectionString: db.url });
    await holder.connect();
    await reader.connect();
    try {
      await holder.query('BEGIN; LOCK TABLE tiny IN ACCESS EXCLUSIVE MODE');
      const started = Date.now();
      await expect(
        readDatabaseFacts(reader, mentionedIn(['tiny']), { statementTimeoutMs: 5000, lockTimeoutMs: 300 }),
      ).rejects.toThrow(/lock timeout/);
      expect(Date.now() - started).toBeLessThan(4000);
      expect((await reader.query('SELECT 1 AS ok')).rows).toEqual([{ ok: 1 }]);
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
      await reader.end();
    }
  });
});

describe('the lint with the real facts', () => {
  it('weighs each finding by its table and asks pg_proc about the functions', () => {
    const m = lintMigrations([{ name: '20260301000000_live', sql: migration }], { database: facts }).migrations[0]!;
    const found = m.findings.filter((f) => f.rule !== 'missing-lock-timeout');
    expect(found.map((f) => [f.rule, f.severity, f.line])).toEqual([
      ['add-column-volatile-default', 'notice', 2], // tiny: volatile, but 5 rows
      ['add-column-volatile-default', 'risky', 4], // big: volatile, 20,000 rows; region_of_now() is immutable: no finding
      ['create-index-without-concurrently', 'notice', 6],
      ['create-index-without-concurrently', 'notice', 7],
      ['create-index-without-concurrently', 'notice', 8],
    ]);
    expect(m.severity).toBe('risky');
    expect(found[0]!.message).toMatch(
      /next_ticket\(\), VOLATILE in the live database's pg_proc.*Not risky here: tiny holds ~5 rows/,
    );
    expect(found[1]!.message).toMatch(
      /big holds ~20,000 rows, [\d.]+ [kM]B with its indexes in the live database: the rewrite takes/,
    );
    expect(found[1]!.message).toMatch(/at an assumed 50 MB\/s/);
    expect(found[3]!.message).toContain('Not risky here: empty_one is empty');
    expect(found[4]!.message).toContain(`Not risky here: app.${ZAEHLER_TABLE} holds ~3 rows`);
    // SET NOT NULL on big: the validated CHECK (a IS NOT NULL) proves it (PostgreSQL 12+): no scan, no finding.
    expect(found.map((f) => f.rule)).not.toContain('set-not-null');
  });
});
