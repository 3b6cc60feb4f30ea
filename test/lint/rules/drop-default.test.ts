import { dropDefault } from '../../../src/lint/rules/drop-default.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(dropDefault, {
  flagged: [
    // Issue 16: DROP DEFAULT that old code relies on.
    {
      sql: '-- AlterTable\nALTER TABLE "users" ALTER COLUMN "role" DROP DEFAULT;',
      line: 2,
      message: /drops the default of users\.role: .*store NULL, or fail if the column is NOT NULL/,
    },
    {
      before: ['CREATE TABLE "users" ("id" SERIAL NOT NULL, "role" TEXT NOT NULL DEFAULT \'USER\');'],
      sql: 'ALTER TABLE "users" ALTER COLUMN "role" DROP DEFAULT;',
      message: /now fail \(the column is NOT NULL\)/,
    },
    {
      before: ['CREATE TABLE "users" ("id" SERIAL NOT NULL, "note" TEXT DEFAULT \'\');'],
      sql: 'ALTER TABLE "users" ALTER COLUMN "note" DROP DEFAULT;',
      message: /now store NULL$/,
    },
    {
      before: ['CREATE TABLE "users" ("id" SERIAL NOT NULL);'],
      sql: 'ALTER TABLE "users" ALTER COLUMN "id" DROP DEFAULT;\nDROP SEQUENCE "users_id_seq";',
      message: /users\.id: .*fail/,
    },
  ],
  passes: [
    'ALTER TABLE "users" ALTER COLUMN "role" SET DEFAULT \'USER\';',
    'ALTER TABLE t ADD COLUMN a int DEFAULT 0;\nALTER TABLE t ALTER COLUMN a DROP DEFAULT;',
    'CREATE TABLE t (a int DEFAULT 0);\nALTER TABLE t ALTER COLUMN a DROP DEFAULT;',
  ],
});
