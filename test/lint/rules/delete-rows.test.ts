import { deleteRows } from '../../../src/lint/rules/delete-rows.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(deleteRows, {
  flagged: [
    { sql: 'DELETE FROM "messages";', message: /every row \(no WHERE\) from messages/ },
    {
      sql: "DELETE FROM sessions WHERE created_at < now() - interval '90 days';",
      message: /rows matching its WHERE from sessions/,
    },
    { sql: 'WITH old AS (SELECT id FROM users WHERE inactive) DELETE FROM users USING old WHERE users.id = old.id;' },
    { sql: "CREATE TABLE t (id int);\nDELETE FROM pg_enum WHERE enumlabel = 'x';", line: 2 },
  ],
  passes: [
    'CREATE TABLE t (id int);\nINSERT INTO t VALUES (1);\nDELETE FROM t WHERE id = 1;',
    'UPDATE t SET a = 1 WHERE id = 2;',
    "SELECT 'DELETE FROM users';",
  ],
});
