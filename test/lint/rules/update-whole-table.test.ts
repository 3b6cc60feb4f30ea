import { updateWholeTable } from '../../../src/lint/rules/update-whole-table.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(updateWholeTable, {
  flagged: [
    { sql: 'UPDATE "users" SET "satshotConnected" = false;', message: /every row of users/ },
    {
      sql: "ALTER TABLE users ADD COLUMN full_name text;\nUPDATE users SET full_name = first || ' ' || last;",
      line: 2,
    },
    { sql: 'UPDATE app.orders o SET total = s.t FROM sums s;', message: /app\.orders/ },
  ],
  passes: [
    'UPDATE users SET active = true WHERE id IN (1, 2);',
    'UPDATE users SET a = 1 WHERE a IS NULL;',
    'CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\nUPDATE t SET a = 2;',
  ],
});
