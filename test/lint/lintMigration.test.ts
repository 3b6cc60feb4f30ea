import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lintDeployment, lintMigration, lintMigrations, worstSeverity } from '../../src/lint/index.js';
import { MAX_STATEMENT_CHARS, splitStatements } from '../../src/lint/parse.js';

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
    const m = lintMigration(
      '20260301000000_bad',
      "-- ünïcödé 🚜\nALTER TABLE users DROP COLUMN a;\nSELECT '🐄🐄';\nCREATE TABLEX b (id int);\nSELECT 1;",
      'prisma/migrations/20260301000000_bad/migration.sql',
    );
    expect(m).toEqual({
      name: '20260301000000_bad',
      severity: 'invalid',
      findings: [
        {
          rule: 'parse-error',
          severity: 'error',
          file: 'prisma/migrations/20260301000000_bad/migration.sql',
          line: 4,
          statement: 'CREATE TABLEX b (id int);',
          message: 'does not parse: syntax error at or near "TABLEX"',
          safer: expect.any(String),
        },
      ],
    });
  });

  it('says so when a statement nests too deeply to read, rather than crash', () => {
    const deep = `SELECT 1;\nALTER TABLE t ADD COLUMN c int DEFAULT ${Array(20_000).fill('1').join('+')};`;
    expect(lintMigration('m', deep).findings).toEqual([
      expect.objectContaining({
        rule: 'parse-error',
        severity: 'error',
        line: 1,
        message: expect.stringMatching(/nests too deeply for the lint to read .*PostgreSQL itself may accept it/),
      }),
    ]);
  });

  it('finds the line of an unterminated string', () => {
    expect(lintMigration('m', "SELECT 1;\n\nINSERT INTO t VALUES ('oops);\n").findings[0]).toMatchObject({
      rule: 'parse-error',
      line: 3,
    });
  });

  it('treats an empty or comment-only migration as additive with no findings', () => {
    expect(lintMigration('m', '')).toEqual({ name: 'm', severity: 'additive', findings: [] });
    expect(lintMigration('m', '-- This is an empty migration.\n')).toEqual({
      name: 'm',
      severity: 'additive',
      findings: [],
    });
  });

  it('rates a migration by its worst finding; notices raise nothing', () => {
    expect(lintMigration('m', 'ALTER TABLE t ADD COLUMN a int;').severity).toBe('additive');
    expect(lintMigration('m', 'CREATE INDEX ON t (a);').severity).toBe('risky');
    expect(lintMigration('m', 'CREATE INDEX ON t (a);\nDROP TABLE u;').severity).toBe('destructive');
  });

  it('exempts objects created earlier in the same migration, not later ones', () => {
    // Only the referenced table u exists already: the foreign key locks it (a notice, no risk).
    expect(
      rulesOf(
        'CREATE TABLE t (a int);\nCREATE UNIQUE INDEX i ON t (a);\nALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u(id);',
      ),
    ).toEqual([['missing-lock-timeout', 3]]);
    expect(
      rulesOf(
        'CREATE TABLE u (id int);\nCREATE TABLE t (a int);\nCREATE UNIQUE INDEX i ON t (a);\nALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u(id);',
      ),
    ).toEqual([]);
    expect(rulesOf('CREATE INDEX i ON t (a);\nCREATE TABLE t (a int);')).toEqual([
      ['create-index-without-concurrently', 1],
      ['missing-lock-timeout', 1],
    ]);
    expect(rulesOf('CREATE TABLE app.t (a int);\nCREATE INDEX ON t (a);').map(([r]) => r)).toContain(
      'create-index-without-concurrently',
    );
  });

  it('reports every rule that applies to one statement, in registry order', () => {
    expect(
      rulesOf(
        'ALTER TABLE t DROP COLUMN a, ALTER COLUMN b TYPE text, ADD COLUMN c uuid NOT NULL DEFAULT gen_random_uuid();',
      ),
    ).toEqual([
      ['drop-column', 1],
      ['change-column-type', 1],
      ['add-column-volatile-default', 1],
      ['missing-lock-timeout', 1],
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
    expect(
      report.migrations.map((m) => [m.name, m.severity, m.findings.map((f) => `${f.file}:${f.line} ${f.rule}`)]),
    ).toEqual([
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

describe('lintDeployment', () => {
  it('treats a table an earlier migration of the same deployment created as new, and what applied migrations built as existing', () => {
    const report = lintDeployment(
      [
        { name: '2_table', sql: 'CREATE TABLE t (a int);' },
        { name: '3_index', sql: 'CREATE INDEX ON t (a);\nCREATE INDEX ON u (a);' },
      ],
      { applied: [{ name: '1_init', sql: 'CREATE TABLE u (a int);' }] },
    );
    expect(report.migrations.map((m) => [m.name, m.findings.map((f) => `${f.line} ${f.rule}`)])).toEqual([
      ['2_table', []],
      ['3_index', ['2 create-index-without-concurrently', '2 missing-lock-timeout']],
    ]);
  });

  it('counts what the applied migrations validated', () => {
    const applied = [
      { name: '1', sql: 'ALTER TABLE users ADD CONSTRAINT name_nn CHECK (name IS NOT NULL) NOT VALID;' },
      { name: '2', sql: 'ALTER TABLE users VALIDATE CONSTRAINT name_nn;' },
    ];
    const pending = [
      {
        name: '3',
        sql: "SET lock_timeout = '5s';\nALTER TABLE users ALTER COLUMN name SET NOT NULL;\nALTER TABLE users DROP CONSTRAINT name_nn;",
      },
    ];
    expect(lintDeployment(pending, { applied }).migrations[0]).toMatchObject({ severity: 'additive', findings: [] });
    expect(lintDeployment(pending).migrations[0]?.severity).toBe('risky');
  });
});

describe('findings only the whole migration shows', () => {
  it('come at the line of the statement they are about, among the others in line order', () => {
    expect(rulesOf('BEGIN;\nDROP INDEX i;\nALTER TABLE t DROP CONSTRAINT c;\nDROP TABLE u;')).toEqual([
      ['transaction-control', 1],
      ['drop-index-without-concurrently', 2],
      ['missing-lock-timeout', 2],
      ['drop-constraint', 3],
      ['drop-table', 4],
    ]);
  });
});

describe('big migrations', () => {
  /** A migration of every kind of statement the splitter must not cut inside, then risky ones. */
  const tricky = [
    "CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.a := 'x;y'; RETURN NEW; END $$;",
    'CREATE FUNCTION g(a int) RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT a + 1; SELECT CASE WHEN a > 0 THEN 1 ELSE 2 END; END;',
    "CREATE OR REPLACE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO log VALUES ('a;b'); END;",
    "INSERT INTO notes VALUES (E'it\\'s; fine', 'a '';'' b', $tag$ ; $$ ; $tag$, U&'d\\0061t;a');",
    'SELECT 1 AS "semi;colon" /* a ; comment /* nested ; */ still ; */; -- and ; here',
    'SELECT $1;',
    'ALTER TABLE t ADD COLUMN a$b int;',
    'DROP TABLE "old";',
    "UPDATE t SET s = 'done';",
  ].join('\n');

  it('split at top-level semicolons only: every piece parses, and the pieces are the statements', () => {
    const pieces = splitStatements(`${tricky}\n-- trailing comment`);
    const text = (p: { start: number; end: number }) =>
      tricky
        .slice(p.start, p.end)
        .replace(/^(\s|--[^\n]*\n)+/, '')
        .slice(0, 22);
    expect(pieces.filter((p) => !p.empty).map(text)).toEqual([
      'CREATE FUNCTION f() RE',
      'CREATE FUNCTION g(a in',
      'CREATE OR REPLACE PROC',
      'INSERT INTO notes VALU',
      'SELECT 1 AS "semi;colo',
      'SELECT $1;',
      'ALTER TABLE t ADD COLU',
      'DROP TABLE "old";',
      "UPDATE t SET s = 'done",
    ]);
    expect(pieces.at(-1)).toMatchObject({ empty: true });
  });

  it('parsed in pieces, give the findings, lines and statements of a parse in one go', () => {
    const sql = Array.from({ length: 30 }, (_, i) => `-- step ${i}\n${tricky}`).join('\n\n');
    const whole = lintMigration('m', sql);
    const pieces = lintMigration('m', sql, undefined, { limits: { pieceBytes: 2000 } });
    expect(whole.findings.length).toBeGreaterThan(60);
    expect(pieces).toEqual(whole);
  });

  it('parsed in pieces of any size, in any order of statements and gaps, agree with a parse in one go', () => {
    const statements = tricky
      .split('\n')
      .concat([
        'BEGIN;',
        'COMMIT;',
        "ALTER TYPE r ADD VALUE 'x';",
        "UPDATE t SET s = 'x';",
        'ALTER TABLE t DROP CONSTRAINT c;',
      ]);
    const gaps = ['\n', ' ', '\n\n-- a ; comment\n', '/* ; */', '\t\n'];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...statements), fc.constantFrom(...gaps)), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 400 }),
        (parts, size) => {
          const sql = parts.map(([stmt, gap]) => `${stmt}${gap}`).join('');
          expect(lintMigration('m', sql, undefined, { limits: { pieceBytes: size } })).toEqual(lintMigration('m', sql));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('report a parse error at its line in the whole file', () => {
    const sql = `${'SELECT 1;\n'.repeat(500)}CREATE TABLEX t (a int);\n${'SELECT 2;\n'.repeat(500)}`;
    expect(lintMigration('m', sql, undefined, { limits: { pieceBytes: 1000 } }).findings).toEqual([
      expect.objectContaining({
        rule: 'parse-error',
        severity: 'error',
        line: 501,
        statement: 'CREATE TABLEX t (a int);',
      }),
    ]);
  });

  it('refuse a statement or a migration over the limits with one error, without parsing it', () => {
    const insert = `INSERT INTO seed VALUES\n${Array.from({ length: 20_000 }, (_, i) => `(${i}, 'row ${i}')`).join(',\n')};`;
    const m = lintMigration('m', `SELECT 1;\n${insert}`, undefined, {
      limits: { pieceBytes: 10_000, maxStatementBytes: 100_000 },
    });
    expect(m).toMatchObject({
      severity: 'invalid',
      findings: [
        {
          rule: 'migration-too-large',
          severity: 'error',
          line: 2,
          message: 'statement at line 2 too large to parse (0.4 MB > 0.1 MB)',
        },
      ],
    });
    expect(lintMigration('m', insert, undefined, { limits: { maxMigrationBytes: 200_000 } }).findings).toEqual([
      expect.objectContaining({
        rule: 'migration-too-large',
        severity: 'error',
        message: 'migration too large to parse (0.4 MB > 0.2 MB)',
      }),
    ]);
  });

  it('list at most maxFindingsPerRule findings of a rule, and count the rest in a notice', () => {
    const m = lintMigration('m', 'DELETE FROM t WHERE id = 1;\n'.repeat(250), undefined, {
      limits: { maxFindingsPerRule: 100 },
    });
    expect(m.severity).toBe('destructive');
    expect(m.findings.filter((f) => f.rule === 'delete-rows')).toHaveLength(100);
    expect(m.findings.at(-1)).toMatchObject({
      rule: 'findings-truncated',
      severity: 'notice',
      message: '150 more delete-rows findings not listed (250 in all)',
    });
  });
});
