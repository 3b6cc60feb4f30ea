import { truncateTable } from '../../../src/lint/rules/truncate-table.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(truncateTable, {
  flagged: [
    { sql: 'TRUNCATE "messages";', message: /deletes every row of messages/ },
    { sql: 'TRUNCATE TABLE a, b RESTART IDENTITY CASCADE;', count: 2, message: /CASCADE also empties/ },
    { sql: 'CREATE TABLE t (id int);\nTRUNCATE t, app.u;', line: 2, message: /app\.u/ },
  ],
  passes: ['CREATE TABLE t (id int);\nTRUNCATE t;', 'DELETE FROM t WHERE id = 1;', "SELECT 'TRUNCATE t';"],
});
