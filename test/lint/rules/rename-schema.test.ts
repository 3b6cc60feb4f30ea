import { renameSchema } from '../../../src/lint/rules/rename-schema.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(renameSchema, {
  flagged: [
    // Issue 16: ALTER SCHEMA … RENAME.
    { sql: 'ALTER SCHEMA users RENAME TO customers;', message: /renames schema users to customers/ },
    { sql: 'SET lock_timeout = \'5s\';\nALTER SCHEMA "app" RENAME TO "app_v2";', line: 2 },
  ],
  passes: [
    'CREATE SCHEMA reporting;\nALTER SCHEMA reporting RENAME TO reports;',
    'ALTER SCHEMA app OWNER TO deployer;',
    'ALTER TABLE t RENAME TO u;',
  ],
});
