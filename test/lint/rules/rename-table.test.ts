import { renameTable } from '../../../src/lint/rules/rename-table.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(renameTable, {
  flagged: [
    { sql: 'ALTER TABLE "messages" RENAME TO "chat_messages";', message: /renames table messages to chat_messages/ },
    { sql: "SET lock_timeout = '5s';\nALTER TABLE IF EXISTS app.t RENAME TO u;", line: 2 },
  ],
  passes: [
    'CREATE TABLE t (a int);\nALTER TABLE t RENAME TO u;',
    'ALTER TABLE t RENAME COLUMN a TO b;',
    'ALTER INDEX i RENAME TO j;',
    'ALTER TYPE e RENAME TO f;',
  ],
});
