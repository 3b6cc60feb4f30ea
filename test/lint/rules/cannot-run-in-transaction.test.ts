import { cannotRunInTransaction } from '../../../src/lint/rules/cannot-run-in-transaction.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(cannotRunInTransaction, {
  flagged: [
    // Issue 16: VACUUM in a multi-statement file.
    {
      sql: 'DELETE FROM t WHERE old;\nVACUUM t;',
      line: 2,
      message: /VACUUM cannot run inside a transaction block, .* 2-statement migration/,
    },
    { sql: 'VACUUM (ANALYZE) t;\nSELECT 1;', line: 1 },
    { sql: 'VACUUM FULL t;\nVACUUM FULL u;', count: 2 },
    { sql: "SET lock_timeout = '5s';\nDROP DATABASE old_app;", message: /DROP DATABASE/ },
    { sql: 'CREATE DATABASE reports;\nSELECT 1;', message: /CREATE DATABASE/ },
    { sql: 'REINDEX SCHEMA public;\nSELECT 1;', message: /REINDEX SCHEMA/ },
    { sql: 'REINDEX DATABASE app;\nSELECT 1;', message: /REINDEX DATABASE/ },
    { sql: "ALTER SYSTEM SET work_mem = '64MB';\nSELECT 1;", message: /ALTER SYSTEM/ },
    { sql: 'CLUSTER;\nSELECT 1;', message: /CLUSTER of every table/ },
  ],
  passes: [
    'VACUUM t;',
    'VACUUM;',
    'ANALYZE t;\nSELECT 1;',
    'REINDEX TABLE t;\nSELECT 1;',
    'CLUSTER t USING t_pkey;\nSELECT 1;',
    'DROP DATABASE old_app;',
  ],
});
