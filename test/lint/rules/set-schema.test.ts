import { setSchema } from '../../../src/lint/rules/set-schema.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(setSchema, {
  flagged: [
    // Issue 16: SET SCHEMA that old code relies on.
    {
      sql: 'ALTER TABLE "messages" SET SCHEMA "archive";',
      message: /moves table messages to schema archive: .*Prisma qualifies/,
    },
    { sql: 'ALTER TYPE "Role" SET SCHEMA "app";', message: /moves type Role to schema app/ },
    { sql: 'ALTER FUNCTION app.slug(text) SET SCHEMA util;', message: /moves function app\.slug to schema util/ },
    { sql: 'ALTER VIEW v SET SCHEMA s;', message: /view v/ },
    { sql: 'ALTER SEQUENCE s SET SCHEMA app;', message: /sequence s/ },
  ],
  passes: [
    'CREATE TABLE t (a int);\nALTER TABLE t SET SCHEMA archive;',
    'CREATE TYPE "Mood" AS ENUM (\'happy\');\nALTER TYPE "Mood" SET SCHEMA app;',
    'ALTER TABLE t OWNER TO app;',
  ],
});
