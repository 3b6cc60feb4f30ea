import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SIZE_THRESHOLDS,
  weighBySize,
  type DatabaseFacts,
  type LiveTable,
} from '../../src/lint/databaseFacts.js';
import { lintMigrations, type LintOptions } from '../../src/lint/index.js';
import type { TableCost } from '../../src/lint/types.js';

// The rules with the live database's facts, written by hand (readDatabaseFacts.test.ts reads real ones).

const MB = 1024 * 1024;
const table = (t: Partial<LiveTable>): LiveTable => ({
  rows: 0,
  bytes: 16384,
  heapBytes: 0,
  notNull: [],
  notNullChecks: [],
  validConstraints: [],
  ...t,
});
const facts = (f: Partial<DatabaseFacts> = {}): DatabaseFacts => ({
  serverVersion: '15.4',
  serverMajor: 15,
  tables: {},
  indexes: {},
  functions: {},
  ...f,
});
/** One migration's lint, without the lock_timeout advice every ALTER gets. */
const lint = (sql: string, o: LintOptions = {}) => {
  const m = lintMigrations([{ name: 'm', sql }], o).migrations[0]!;
  return { ...m, findings: m.findings.filter((f) => f.rule !== 'missing-lock-timeout') };
};

describe('weighBySize', () => {
  const risky = { severity: 'risky' as const, message: 'builds index i on t without CONCURRENTLY' };
  const cost: TableCost = { table: 'public.t', name: 't', work: 'index', onlyLockTime: true };
  const weigh = (t: LiveTable | undefined, c: TableCost = cost, th = DEFAULT_SIZE_THRESHOLDS) =>
    weighBySize(risky, c, facts({ tables: t ? { 'public.t': t } : {} }), th);

  it('an empty table: a notice that says it is empty', () => {
    expect(weigh(table({ rows: 0, bytes: 8192, heapBytes: 0 }))).toEqual({
      severity: 'notice',
      message: expect.stringMatching(/^builds index i on t without CONCURRENTLY\. Not risky here: t is empty \(8 kB/),
    });
  });

  it('a small table: a notice with its size, the threshold and the assumed lock time', () => {
    const w = weigh(table({ rows: 1200, bytes: 2 * MB, heapBytes: MB }));
    expect(w.severity).toBe('notice');
    expect(w.message).toContain('t holds ~1,200 rows, 2 MB with its indexes in the live database');
    expect(w.message).toContain('risky above lint.riskyAboveRows 10,000 rows or lint.riskyAboveMb 10 MB');
    expect(w.message).toMatch(
      /the index build takes at least ≈ 0\.02 s under the lock \(1 MB at an assumed 50 MB\/s\)/,
    );
  });

  it('a table above the rows threshold stays risky, with its size and the lock-time estimate', () => {
    const w = weigh(table({ rows: 2_000_000, bytes: 900 * MB, heapBytes: 500 * MB }), {
      ...cost,
      work: 'rewrite',
    });
    expect(w).toEqual({
      severity: 'risky',
      message:
        'builds index i on t without CONCURRENTLY. t holds ~2,000,000 rows, 900 MB with its indexes in the live database: the rewrite takes ≈ 18 s under the lock (900 MB at an assumed 50 MB/s)',
    });
  });

  it('never analyzed: the size in bytes decides, and the message says the rows are unknown', () => {
    const big = weigh(table({ rows: null, bytes: 64 * MB, heapBytes: 60 * MB }), { ...cost, work: 'scan' });
    expect(big.severity).toBe('risky');
    expect(big.message).toContain('an unknown number of rows (never analyzed)');
    expect(weigh(table({ rows: null, bytes: MB, heapBytes: MB })).severity).toBe('notice');
  });

  it('a configured throughput and thresholds are used and named', () => {
    const th = { riskyAboveRows: 10, riskyAboveBytes: MB, bytesPerSecond: 200 * MB, throughput: 'configured' as const };
    const w = weigh(table({ rows: 1200, bytes: 400 * MB, heapBytes: 400 * MB }), cost, th);
    expect(w.severity).toBe('risky');
    expect(w.message).toContain('at a configured 200 MB/s');
  });

  it('a finding also about data or the previous release keeps its severity on a small table, with the size', () => {
    const w = weigh(table({ rows: 3, bytes: 16384, heapBytes: 8192 }), { ...cost, work: 'rows', onlyLockTime: false });
    expect(w).toEqual({
      severity: 'risky',
      message: 'builds index i on t without CONCURRENTLY. t holds ~3 rows, 16 kB with its indexes in the live database',
    });
  });

  it('a table the catalog does not know: unchanged', () => {
    expect(weigh(undefined)).toEqual(risky);
  });
});

describe('the rules with the live database', () => {
  const big = table({ rows: 50_000, bytes: 40 * MB, heapBytes: 30 * MB, notNull: ['id'] });
  const small = table({ rows: 12, bytes: 32768, heapBytes: 8192, notNull: ['id'] });
  const database = facts({ tables: { 'public.big': big, 'public.small': small, 'app.Zähler "q"': small } });

  it('a lock-time finding on a small table is a notice and the migration stays additive; on a big one, risky', () => {
    const m = lint('CREATE INDEX s_i ON small (a);\nCREATE INDEX b_i ON big (a);', { database });
    expect(m.severity).toBe('risky');
    expect(m.findings.map((f) => [f.rule, f.severity])).toEqual([
      ['create-index-without-concurrently', 'notice'],
      ['create-index-without-concurrently', 'risky'],
    ]);
    expect(lint('CREATE INDEX s_i ON small (a);', { database }).severity).toBe('additive');
    // Without the facts, as before: risky.
    expect(lint('CREATE INDEX s_i ON small (a);').severity).toBe('risky');
  });

  it('a quoted multibyte table in a schema is found under its key', () => {
    const m = lint('ALTER TABLE app."Zähler ""q""" ADD CONSTRAINT c CHECK (n > 0);', { database });
    expect(m.findings[0]).toMatchObject({ rule: 'constraint-without-not-valid', severity: 'notice' });
    expect(m.findings[0]!.message).toContain('app.Zähler "q" holds ~12 rows');
  });

  it('thresholds given to the linter replace the defaults', () => {
    expect(lint('CREATE INDEX s_i ON small (a);', { database, sizes: { riskyAboveRows: 5 } }).severity).toBe('risky');
  });

  it('destructive findings keep their severity and tell how many rows go', () => {
    const m = lint('DROP TABLE small;', { database });
    expect(m.severity).toBe('destructive');
    expect(m.findings[0]!.message).toContain('small holds ~12 rows');
  });

  describe('add-column-volatile-default asks pg_proc about a function it does not know', () => {
    const sql = 'ALTER TABLE big ADD COLUMN doc jsonb DEFAULT myjsonb();';
    const withFn = (v: 'immutable' | 'stable' | 'volatile') =>
      facts({ tables: { 'public.big': big }, functions: { myjsonb: v } });

    it.each(['immutable', 'stable'] as const)('%s: computed once, no finding', (v) => {
      expect(lint(sql, { database: withFn(v) }).findings).toEqual([]);
    });
    it('volatile: risky, says pg_proc said so, with the table size', () => {
      const [f] = lint(sql, { database: withFn('volatile') }).findings;
      expect(f).toMatchObject({ rule: 'add-column-volatile-default', severity: 'risky' });
      expect(f!.message).toMatch(/myjsonb\(\), VOLATILE in the live database's pg_proc.*big holds ~50,000 rows/);
    });
    it('absent from pg_proc: still volatile as far as the lint knows, and it says so', () => {
      expect(lint(sql, { database: facts({ tables: { 'public.big': big } }) }).findings[0]!.message).toMatch(
        /does not list/,
      );
    });
    it('qualified names are looked up as written', () => {
      const database = facts({ functions: { 'ext.uuid_generate_v7': 'volatile', uuid_generate_v7: 'volatile' } });
      expect(lint('ALTER TABLE t ADD COLUMN id uuid DEFAULT ext.uuid_generate_v7();', { database }).severity).toBe(
        'risky',
      );
    });
    it('before PostgreSQL 11 a constant default rewrites too; NULL does not', () => {
      const old = facts({ serverVersion: '10.23', serverMajor: 10 });
      expect(lint("ALTER TABLE t ADD COLUMN c text DEFAULT 'x';", { database: old }).findings[0]!.message).toMatch(
        /a default, which PostgreSQL 10\.23 \(before 11\) writes into every row/,
      );
      expect(lint('ALTER TABLE t ADD COLUMN c text DEFAULT NULL;', { database: old }).findings).toEqual([]);
      expect(lint("ALTER TABLE t ADD COLUMN c text DEFAULT 'x';", { database: facts() }).findings).toEqual([]);
    });
  });

  describe('set-not-null with the live catalog', () => {
    const checked = (major: number) =>
      facts({
        serverMajor: major,
        serverVersion: `${major}.0`,
        tables: { 'public.big': { ...big, notNullChecks: [{ name: 'big_a_nn', column: 'a' }] } },
      });
    const sql = 'ALTER TABLE big ALTER COLUMN a SET NOT NULL;';

    it('a validated CHECK (a IS NOT NULL) in the database proves it from PostgreSQL 12 on', () => {
      expect(lint(sql, { database: checked(12) }).findings).toEqual([]);
      expect(lint(sql).findings).toHaveLength(1);
    });
    it('PostgreSQL 11 scans anyway, and the message says why', () => {
      expect(lint(sql, { database: checked(11) }).findings[0]!.message).toMatch(/this server is 11\.0: it scans/);
    });
    it('the check dropped in the same migration proves nothing', () => {
      const m = lint(`ALTER TABLE big DROP CONSTRAINT big_a_nn;\n${sql}`, { database: checked(15), rules: undefined });
      expect(m.findings.map((f) => f.rule)).toContain('set-not-null');
    });
    it('a column already NOT NULL in the database: PostgreSQL does nothing', () => {
      expect(lint('ALTER TABLE big ALTER COLUMN id SET NOT NULL;', { database }).findings).toEqual([]);
    });
  });

  it('REINDEX INDEX weighs its table, found through the live index', () => {
    const database = facts({
      tables: { 'public.small': small },
      indexes: { 'public.small_a': { table: 'public.small', unique: false, valid: true } },
    });
    const [f] = lint('REINDEX INDEX small_a;', { database }).findings;
    expect(f).toMatchObject({ rule: 'reindex-without-concurrently', severity: 'notice' });
    expect(f!.message).toContain('the table of small_a (public.small) holds ~12 rows');
  });
});
