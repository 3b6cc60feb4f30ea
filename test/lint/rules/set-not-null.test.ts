import { setNotNull } from '../../../src/lint/rules/set-not-null.js';
import { ruleTable } from '../ruleTable.js';

const addCheck = 'ALTER TABLE "users" ADD CONSTRAINT "users_name_not_null" CHECK ("name" IS NOT NULL) NOT VALID;';
const validate = 'ALTER TABLE "users" VALIDATE CONSTRAINT "users_name_not_null";';
const setIt = 'ALTER TABLE "users" ALTER COLUMN "name" SET NOT NULL;';

ruleTable(setNotNull, {
  flagged: [
    {
      sql: '-- AlterTable\nALTER TABLE "users" ALTER COLUMN "name" SET NOT NULL;',
      line: 2,
      message: /sets users\.name NOT NULL/,
    },
    { sql: 'ALTER TABLE t ALTER a SET NOT NULL, ALTER b SET NOT NULL;', count: 2 },
    {
      sql: 'ALTER TABLE t ADD COLUMN a int;\nUPDATE t SET a = 0 WHERE a IS NULL;\nALTER TABLE t ALTER COLUMN a SET NOT NULL;',
      line: 3,
    },
    // The check is not validated yet, or is about something else, or was dropped since.
    { before: [addCheck], sql: setIt },
    { sql: `${addCheck}\n${setIt}`, line: 2 },
    { before: ['ALTER TABLE "users" ADD CONSTRAINT "c" CHECK ("name" <> \'\');'], sql: setIt },
    { before: ['ALTER TABLE "users" ADD CONSTRAINT "c" CHECK ("email" IS NOT NULL);'], sql: setIt },
    { before: [addCheck, validate, 'ALTER TABLE "users" DROP CONSTRAINT "users_name_not_null";'], sql: setIt },
    { before: [addCheck, validate], sql: 'ALTER TABLE "app"."users" ALTER COLUMN "name" SET NOT NULL;' },
  ],
  passes: [
    'ALTER TABLE t ALTER COLUMN a DROP NOT NULL;',
    'CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a SET NOT NULL;',
    'ALTER TABLE t ADD CONSTRAINT a_not_null CHECK (a IS NOT NULL) NOT VALID;',
    // Issue 16: the recipe split across migrations as docs/lint/set-not-null.md says.
    { before: [addCheck, validate], sql: `${setIt}\nALTER TABLE "users" DROP CONSTRAINT "users_name_not_null";` },
    // strong_migrations' form: validate and set in one migration (the validation takes no strong lock first).
    { before: [addCheck], sql: `${validate}\n${setIt}` },
    { before: ['ALTER TABLE "users" ADD CONSTRAINT "users_name_not_null" CHECK ("name" IS NOT NULL);'], sql: setIt },
    {
      before: [addCheck, validate, 'ALTER TABLE "users" RENAME COLUMN "name" TO "fullName";'],
      sql: 'ALTER TABLE "users" ALTER COLUMN "fullName" SET NOT NULL;',
    },
  ],
});
