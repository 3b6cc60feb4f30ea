import { renameEnumValue } from '../../../src/lint/rules/rename-enum-value.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(renameEnumValue, {
  flagged: [
    // Issue 16: ALTER TYPE … RENAME VALUE.
    {
      sql: `ALTER TYPE "Status" RENAME VALUE 'done' TO 'completed';`,
      message: /renames value 'done' of enum Status to 'completed'/,
    },
    { sql: `ALTER TYPE app.status RENAME VALUE 'a' TO 'b';`, message: /enum app\.status/ },
  ],
  passes: [
    `ALTER TYPE "Status" ADD VALUE 'completed' AFTER 'done';`,
    `CREATE TYPE "Status" AS ENUM ('done');\nALTER TYPE "Status" RENAME VALUE 'done' TO 'completed';`,
    `ALTER TYPE "Status" RENAME TO "State";`,
  ],
});
