import { dropIndexWithoutConcurrently } from '../../../src/lint/rules/drop-index-without-concurrently.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(dropIndexWithoutConcurrently, {
  flagged: [
    // Issue 16: DROP INDEX without CONCURRENTLY on an existing table (only a notice before).
    {
      sql: '-- DropIndex\nDROP INDEX "messages_body_idx";',
      line: 2,
      message: /drops index messages_body_idx without CONCURRENTLY: every read and write of its table waits/,
    },
    {
      before: ['CREATE INDEX "messages_body_idx" ON "messages"("body");'],
      sql: 'DROP INDEX "messages_body_idx";',
      message: /of messages waits/,
    },
    { before: ['CREATE INDEX i ON app.t (a);'], sql: 'DROP INDEX IF EXISTS app.i;', message: /of app\.t waits/ },
    { sql: 'DROP INDEX a, b;', count: 2 },
    { sql: 'CREATE INDEX a ON t (x);\nDROP INDEX a, b;', count: 1, message: /drops index b/ },
    { before: ['CREATE TABLE t (a int);'], sql: 'CREATE INDEX i ON t (a);\nDROP INDEX j;', message: /index j/ },
  ],
  passes: [
    'DROP INDEX CONCURRENTLY "messages_body_idx";',
    'DROP INDEX CONCURRENTLY IF EXISTS app.i;',
    'CREATE INDEX i ON t (a);\nDROP INDEX i;',
    'CREATE TABLE t (a int);\nCREATE INDEX i ON t (a);\nDROP INDEX i;',
    'DROP TABLE t;',
  ],
});
