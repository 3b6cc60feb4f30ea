import { reindexWithoutConcurrently } from '../../../src/lint/rules/reindex-without-concurrently.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(reindexWithoutConcurrently, {
  flagged: [
    // Issue 16: REINDEX without CONCURRENTLY, and CONCURRENTLY turned off.
    { sql: 'REINDEX INDEX "users_email_key";', message: /rebuilds index users_email_key without CONCURRENTLY/ },
    { sql: 'REINDEX TABLE app.users;', message: /table app\.users .* writes to the table wait/ },
    { sql: 'REINDEX (CONCURRENTLY false) TABLE t;', message: /table t without CONCURRENTLY/ },
    { sql: 'REINDEX (VERBOSE, CONCURRENTLY off) INDEX i;' },
    { sql: 'REINDEX SCHEMA public;', message: /schema public/ },
  ],
  passes: [
    'REINDEX (CONCURRENTLY) INDEX "users_email_key";',
    'REINDEX INDEX CONCURRENTLY i;',
    'REINDEX (CONCURRENTLY true) TABLE t;',
    'CREATE TABLE t (a int);\nREINDEX TABLE t;',
    'CREATE INDEX i ON t (a);\nREINDEX INDEX i;',
  ],
});
