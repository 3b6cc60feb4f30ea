import { dropTable } from '../../../src/lint/rules/drop-table.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(dropTable, {
  flagged: [
    { sql: '-- DropTable\nDROP TABLE "messages";', line: 2, message: /drops table messages and all its rows/ },
    { sql: 'DROP TABLE IF EXISTS app.audit CASCADE;', message: /app\.audit/ },
    { sql: 'DROP TABLE a, b;', count: 2 },
    { sql: 'CREATE TABLE a (id int);\nDROP TABLE a, b;', count: 1, line: 2, message: /table b/ },
    { sql: 'CREATE TABLE app.a (id int);\nDROP TABLE a;', line: 2, message: /table a /, count: 1 },
  ],
  passes: [
    'CREATE TABLE t (id int);\nDROP TABLE t;',
    'CREATE TABLE "Tmp" (id int); ALTER TABLE "Tmp" RENAME TO "tmp2"; DROP TABLE "tmp2";',
    'DROP VIEW v;',
    'DROP INDEX "users_email_key";',
    'DROP SEQUENCE s;',
  ],
});
