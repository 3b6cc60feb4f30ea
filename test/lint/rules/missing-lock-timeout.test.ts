import { describe, expect, it } from 'vitest';
import { lintMigration } from '../../../src/lint/index.js';
import { missingLockTimeout } from '../../../src/lint/rules/missing-lock-timeout.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(missingLockTimeout, {
  flagged: [
    {
      sql: '-- AlterTable\nALTER TABLE "users" ADD COLUMN "satshotConnected" BOOLEAN NOT NULL DEFAULT false;',
      line: 2,
      message: /strong lock on users with no lock_timeout set/,
    },
    // Once per migration, at the first strong lock on an existing table.
    {
      sql: 'CREATE TABLE n (a int);\nCREATE INDEX ON n (a);\nCREATE INDEX ON t (a);\nALTER TABLE t ADD COLUMN b int;',
      count: 1,
      line: 3,
    },
    { sql: "SET lock_timeout = '5s';\nRESET lock_timeout;\nALTER TABLE t ADD COLUMN b int;", line: 3 },
    { sql: 'SET lock_timeout = 0;\nDROP TABLE t;', line: 2 },
    { sql: 'ALTER TABLE app.t RENAME COLUMN a TO b;', message: /app\.t/ },
    { sql: 'TRUNCATE t;' },
    { sql: 'CREATE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f();' },
    // Issue 16: SET LOCAL ends with its transaction; a ROLLBACK undoes a SET made in it.
    { sql: "BEGIN;\nSET LOCAL lock_timeout = '5s';\nCOMMIT;\nALTER TABLE t ADD COLUMN b int;", line: 4 },
    { sql: "SET LOCAL lock_timeout = '5s';\nCOMMIT;\nDROP INDEX i;", line: 3 },
    { sql: "SELECT set_config('lock_timeout', '3s', true);\nCOMMIT;\nALTER TABLE t DROP COLUMN a;", line: 3 },
    { sql: "BEGIN;\nSET lock_timeout = '5s';\nROLLBACK;\nALTER TABLE t ADD COLUMN b int;", line: 4 },
    {
      sql: "SET lock_timeout = '5s';\nBEGIN;\nSET LOCAL lock_timeout = 0;\nALTER TABLE t ADD COLUMN b int;\nCOMMIT;",
      line: 4,
    },
    { sql: "SET lock_timeout = '5s';\nRESET ALL;\nALTER TABLE t ADD COLUMN b int;", line: 3 },
  ],
  passes: [
    'SET lock_timeout = \'5s\';\nALTER TABLE "users" ADD COLUMN "a" INT;',
    "SET LOCAL lock_timeout TO '2s';\nCREATE INDEX ON t (a);",
    "SELECT set_config('lock_timeout', '3s', false);\nALTER TABLE t DROP COLUMN a;",
    'CREATE TABLE t (a int);\nCREATE INDEX ON t (a);\nALTER TABLE t ADD COLUMN b int;',
    'CREATE INDEX CONCURRENTLY i ON t (a);',
    'ALTER TABLE t VALIDATE CONSTRAINT c;',
    'INSERT INTO t VALUES (1);',
    "SET lock_timeout = '5s';\nCOMMIT;\nALTER TABLE t ADD COLUMN b int;",
    "BEGIN;\nSET lock_timeout = '5s';\nCOMMIT;\nALTER TABLE t ADD COLUMN b int;",
    "SET lock_timeout = '5s';\nBEGIN;\nSET LOCAL lock_timeout = 0;\nCOMMIT;\nALTER TABLE t ADD COLUMN b int;",
    "BEGIN;\nSET LOCAL lock_timeout = '5s';\nALTER TABLE t ADD COLUMN b int;\nCOMMIT;",
  ],
});

describe('missing-lock-timeout is a notice', () => {
  it('reports the safer way but leaves an otherwise additive migration additive', () => {
    const m = lintMigration('m', 'ALTER TABLE "users" ADD COLUMN "a" INT;');
    expect(m.findings.map((f) => [f.rule, f.severity])).toEqual([['missing-lock-timeout', 'notice']]);
    expect(m.findings[0]?.safer).toMatch(/SET lock_timeout/);
    expect(m.severity).toBe('additive');
  });
});
