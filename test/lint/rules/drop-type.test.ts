import { dropType } from '../../../src/lint/rules/drop-type.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(dropType, {
  flagged: [
    { sql: '-- DropEnum\nDROP TYPE "Role";', line: 2, message: /drops type Role, which the previous release/ },
    { sql: 'DROP TYPE mood CASCADE;', message: /CASCADE: every column of that type is dropped/ },
    { sql: 'DROP DOMAIN email_address;', message: /email_address/ },
    // CASCADE on a type renamed aside still drops whatever column kept it.
    { sql: 'ALTER TYPE "Role" RENAME TO "Role_old";\nDROP TYPE "Role_old" CASCADE;', line: 2 },
  ],
  passes: [
    "CREATE TYPE tmp AS ENUM ('a');\nDROP TYPE tmp;",
    // Prisma's enum replacement: the old type, renamed aside, is dropped once its columns moved.
    'CREATE TYPE "Role_new" AS ENUM (\'USER\');\nALTER TABLE "users" ALTER COLUMN "role" TYPE "Role_new" USING ("role"::text::"Role_new");\nALTER TYPE "Role" RENAME TO "Role_old";\nALTER TYPE "Role_new" RENAME TO "Role";\nDROP TYPE "Role_old";',
    'DROP TABLE t;',
  ],
});
