import { renameColumn } from '../../../src/lint/rules/rename-column.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(renameColumn, {
  flagged: [
    {
      sql: '-- AlterTable\nALTER TABLE "users" RENAME COLUMN "name" TO "fullName";',
      line: 2,
      message: /renames users\.name to fullName/,
    },
    { sql: 'ALTER TABLE app.users RENAME email TO mail;', message: /app\.users\.email/ },
  ],
  passes: [
    'CREATE TABLE t (a int);\nALTER TABLE t RENAME COLUMN a TO b;',
    'ALTER TABLE users ADD COLUMN tmp int;\nALTER TABLE users RENAME COLUMN tmp TO score;',
    'ALTER TABLE users RENAME CONSTRAINT a TO b;',
    'ALTER TABLE users RENAME TO people;',
    'ALTER VIEW v RENAME COLUMN a TO b;',
  ],
});
