import { describe, expect, it } from 'vitest';
import { lintMigration, lintMigrations, worstSeverity } from '../../src/lint/index.js';
import { MAX_STATEMENT_CHARS } from '../../src/lint/parse.js';

const rulesOf = (sql: string) => lintMigration('m', sql).findings.map((f) => [f.rule, f.line]);

describe('lintMigration', () => {
  it('gives each statement the line of its first token, after comments and multi-byte text', () => {
    const sql = [
      '-- Migración: élan 🚜', //            1
      "INSERT INTO notes VALUES ('ñandú 🐄');", // 2
      '/* a block', //                        3
      '   comment */ DROP TABLE "a";', //     4
      '', //                                  5
      '  -- x', //                            6
      '  DELETE FROM "b";', //                7
    ].join('\n');
    const m = lintMigration('m', sql);
    expect(m.findings.filter((f) => f.severity !== 'notice').map((f) => [f.rule, f.line, f.statement])).toEqual([
      ['drop-table', 4, 'DROP TABLE "a"'],
      ['delete-rows', 7, 'DELETE FROM "b"'],
    ]);
  });

  it('keeps a statement without a final semicolon, and bounds long statements', () => {
    const long = `UPDATE t SET a = '${'x'.repeat(1000)}'`;
    const [f] = lintMigration('m', `SET lock_timeout = '1s';\n${long}`).findings;
    expect(f).toMatchObject({ rule: 'update-whole-table', line: 2 });
    expect(f?.statement).toHaveLength(MAX_STATEMENT_CHARS);
    expect(f?.statement.endsWith('…')).toBe(true);
  });

  it('reports a statement that does not parse as an error naming file and line', () => {
    const m = lintMigration('20260301000000_bad', "-- ünïcödé 🚜\nALTER TABLE users DROP COLUMN a;\nSELECT '🐄🐄';\nCREATE TABLEX b (id int);\nSELECT 1;", 'prisma/migrations/20260301000000_bad/migration.sql');
    expect(m).toEqual({
      name: '20260301000000_bad',
      severity: 'invalid',
      findings: [{
        rule: 'parse-error', severity: 'error', file: 'prisma/migrations/20260301000000_bad/migration.sql', line: 4,
        statement: 'CREATE TABLEX b (id int);', message: 'does not parse: syntax error at or near "TABLEX"', safer: expect.any(String),
      }],
    });
  });

  it('finds the line of an unterminated string', () => {
    expect(lintMigration('m', "SELECT 1;\n\nINSERT INTO t VALUES ('oops);\n").findings[0]).toMatchObject({ rule: 'parse-error', line: 3 });
  });

  it('treats an empty or comment-only migration as additive with no findings', () => {
    expect(lintMigration('m', '')).toEqual({ name: 'm', severity: 'additive', findings: [] });
    expect(lintMigration('m', '-- This is an empty migration.\n')).toEqual({ name: 'm', severity: 'additive', findings: [] });
  });

  it('rates a migration by its worst finding; notices raise nothing', () => {
    expect(lintMigration('m', 'ALTER TABLE t ADD COLUMN a int;').severity).toBe('additive');
    expect(lintMigration('m', 'CREATE INDEX ON t (a);').severity).toBe('risky');
    expect(lintMigration('m', 'CREATE INDEX ON t (a);\nDROP TABLE u;').severity).toBe('destructive');
  });

  it('exempts objects created earlier in the same migration, not later ones', () => {
    // Only the referenced table u exists already: the foreign key locks it (a notice, no risk).
    expect(rulesOf('CREATE TABLE t (a int);\nCREATE UNIQUE INDEX i ON t (a);\nALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u(id);')).toEqual([['missing-lock-timeout', 3]]);
    expect(rulesOf('CREATE TABLE u (id int);\nCREATE TABLE t (a int);\nCREATE UNIQUE INDEX i ON t (a);\nALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u(id);')).toEqual([]);
    expect(rulesOf('CREATE INDEX i ON t (a);\nCREATE TABLE t (a int);')).toEqual([
      ['create-index-without-concurrently', 1],
      ['missing-lock-timeout', 1],
    ]);
    expect(rulesOf('CREATE TABLE app.t (a int);\nCREATE INDEX ON t (a);').map(([r]) => r)).toContain('create-index-without-concurrently');
  });

  it('reports every rule that applies to one statement, in registry order', () => {
    expect(rulesOf('ALTER TABLE t DROP COLUMN a, ALTER COLUMN b TYPE text, ADD COLUMN c uuid NOT NULL DEFAULT gen_random_uuid();')).toEqual([
      ['drop-column', 1], ['change-column-type', 1], ['add-column-volatile-default', 1], ['missing-lock-timeout', 1],
    ]);
  });
});

describe('lintMigrations', () => {
  it('lints each migration with its own context, in the order given', () => {
    const report = lintMigrations([
      { name: '1_init', sql: 'CREATE TABLE t (a int);' },
      { name: '2_index', sql: "SET lock_timeout = '5s';\nCREATE INDEX ON t (a);" },
      { name: '3_bad', sql: 'DROP TABLEE t;', file: 'x/3_bad/migration.sql' },
    ]);
    expect(report.migrations.map((m) => [m.name, m.severity, m.findings.map((f) => `${f.file}:${f.line} ${f.rule}`)])).toEqual([
      ['1_init', 'additive', []],
      ['2_index', 'risky', ['2_index/migration.sql:2 create-index-without-concurrently']],
      ['3_bad', 'invalid', ['x/3_bad/migration.sql:1 parse-error']],
    ]);
  });
});

describe('worstSeverity', () => {
  it.each([
    [[], 'additive'],
    [['notice'], 'additive'],
    [['additive', 'notice', 'risky'], 'risky'],
    [['risky', 'destructive', 'additive'], 'destructive'],
    [['destructive', 'error'], 'invalid'],
    [['invalid', 'additive'], 'invalid'],
  ] as const)('%j → %s', (input, expected) => {
    expect(worstSeverity(input)).toBe(expected);
  });
});
