import { enumValueRemoval } from '../../../src/lint/rules/enum-value-removal.js';
import { prismaAlterEnum } from '../prismaSql.js';
import { ruleTable } from '../ruleTable.js';

/** The older shape: rename aside first, then create the new type under the old name. */
const olderAlterEnum = `ALTER TYPE "Role" RENAME TO "Role_old";
CREATE TYPE "Role" AS ENUM ('USER');
ALTER TABLE "users" ALTER COLUMN "role" TYPE "Role" USING "role"::text::"Role";
DROP TYPE "Role_old";`;

ruleTable(enumValueRemoval, {
  flagged: [
    { sql: prismaAlterEnum, line: 6, message: /replaces enum Role with a new type/ },
    { sql: olderAlterEnum, line: 2, message: /replaces enum Role/ },
    {
      sql: "DELETE FROM pg_catalog.pg_enum WHERE enumlabel = 'GUEST';",
      message: /deletes enum values from the catalog/,
    },
  ],
  passes: [
    'ALTER TYPE "Role" ADD VALUE \'GUEST\';',
    "CREATE TYPE \"Mood\" AS ENUM ('happy', 'sad');",
    'ALTER TYPE "Role" RENAME TO "UserRole";',
    "CREATE TYPE a AS ENUM ('x');\nALTER TYPE a RENAME TO b;",
  ],
});
