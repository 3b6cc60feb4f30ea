import { concurrentlyInTransaction } from '../../../src/lint/rules/concurrently-in-transaction.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(concurrentlyInTransaction, {
  flagged: [
    {
      sql: "SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY i ON t (a);",
      line: 2,
      message: /CREATE INDEX CONCURRENTLY cannot run inside a transaction block.*2-statement migration/,
    },
    { sql: 'CREATE INDEX CONCURRENTLY a ON t (a);\nCREATE INDEX CONCURRENTLY b ON t (b);', count: 2 },
    {
      sql: 'ALTER TABLE t ADD COLUMN a int;\nDROP INDEX CONCURRENTLY IF EXISTS old_idx;',
      message: /DROP INDEX CONCURRENTLY/,
    },
    { sql: 'REINDEX (CONCURRENTLY) INDEX i;\nSELECT 1;', message: /REINDEX CONCURRENTLY/ },
    { sql: 'REINDEX (VERBOSE, CONCURRENTLY true) TABLE t;\nSELECT 1;', message: /REINDEX CONCURRENTLY/ },
    { sql: 'REINDEX (CONCURRENTLY on) TABLE t;\nSELECT 1;', message: /REINDEX CONCURRENTLY/ },
    {
      sql: 'ALTER TABLE p DETACH PARTITION p2024 CONCURRENTLY;\nDROP TABLE p2024;',
      message: /DETACH PARTITION CONCURRENTLY/,
    },
    { sql: 'BEGIN;\nCOMMIT;\nCREATE UNIQUE INDEX CONCURRENTLY u ON t (a);', line: 3 },
  ],
  passes: [
    '-- CreateIndex\nCREATE INDEX CONCURRENTLY "messages_body_idx" ON "messages"("body");\n-- done',
    'DROP INDEX CONCURRENTLY old_idx;',
    'CREATE INDEX i ON t (a);\nSELECT 1;',
    'REFRESH MATERIALIZED VIEW CONCURRENTLY mv;\nSELECT 1;',
    // Issue 16: turned off, CONCURRENTLY is not there.
    'REINDEX (CONCURRENTLY false) TABLE t;\nSELECT 1;',
    'REINDEX (CONCURRENTLY off, VERBOSE) INDEX i;\nSELECT 1;',
    'REINDEX (CONCURRENTLY 0) INDEX i;\nSELECT 1;',
  ],
});
