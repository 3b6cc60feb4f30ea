import { dropNotNull } from '../../../src/lint/rules/drop-not-null.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(dropNotNull, {
  flagged: [
    // Issue 16: DROP NOT NULL that old code relies on.
    {
      sql: '-- AlterTable\nALTER TABLE "users" ALTER COLUMN "name" DROP NOT NULL;',
      line: 2,
      message: /drops NOT NULL from users\.name/,
    },
    { sql: 'ALTER TABLE t ALTER a DROP NOT NULL, ALTER b DROP NOT NULL;', count: 2 },
  ],
  passes: [
    'ALTER TABLE "users" ALTER COLUMN "name" SET NOT NULL;',
    'CREATE TABLE t (a int NOT NULL);\nALTER TABLE t ALTER COLUMN a DROP NOT NULL;',
    'ALTER TABLE t ADD COLUMN a int NOT NULL DEFAULT 0;\nALTER TABLE t ALTER COLUMN a DROP NOT NULL;',
  ],
});
