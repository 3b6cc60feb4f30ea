import { enumValueUsedInTransaction } from '../../../src/lint/rules/enum-value-used-in-transaction.js';
import { ruleTable } from '../ruleTable.js';

const addValue = `-- AlterEnum\nALTER TYPE "Role" ADD VALUE 'GUEST';`;

ruleTable(enumValueUsedInTransaction, {
  flagged: [
    // Issue 16: ADD VALUE followed by a use of the new value in the same file.
    {
      sql: `${addValue}\n\n-- AlterTable\nALTER TABLE "users" ALTER COLUMN "role" SET DEFAULT 'GUEST';`,
      line: 5,
      message: /uses 'GUEST', added to enum Role earlier in the same transaction/,
    },
    { sql: `${addValue}\nUPDATE "users" SET "role" = 'GUEST' WHERE "role" = 'USER';` },
    { sql: `${addValue}\nCREATE INDEX "guests" ON "users"("id") WHERE "role" = 'GUEST'::"Role";` },
    {
      sql: `ALTER TYPE app.role ADD VALUE IF NOT EXISTS 'guest' AFTER 'user';\nINSERT INTO app.users (role) VALUES ('guest');`,
      message: /enum app\.role/,
    },
    {
      sql: `BEGIN;\n${addValue}\nCOMMIT;\nBEGIN;\nALTER TYPE "Role" ADD VALUE 'OWNER';\nUPDATE "users" SET "role" = 'OWNER';\nCOMMIT;`,
      message: /'OWNER'/,
    },
    // Even a type created in the same transaction (PostgreSQL 12+ refuses it too).
    {
      sql: `CREATE TYPE "Mood" AS ENUM ('happy');\nALTER TYPE "Mood" ADD VALUE 'sad';\nCREATE TABLE "notes" ("mood" "Mood" NOT NULL DEFAULT 'sad');`,
      line: 3,
    },
  ],
  passes: [
    addValue,
    `${addValue}\nALTER TYPE "Role" ADD VALUE 'OWNER';`,
    `${addValue}\nUPDATE "users" SET "role" = 'USER' WHERE "role" IS NULL;`,
    // Once committed, the value is usable.
    `${addValue}\nCOMMIT;\nALTER TABLE "users" ALTER COLUMN "role" SET DEFAULT 'GUEST';`,
    `CREATE TYPE "Mood" AS ENUM ('happy', 'sad');\nCREATE TABLE "notes" ("mood" "Mood" NOT NULL DEFAULT 'sad');`,
    `ALTER TYPE "Role" RENAME VALUE 'GUEST' TO 'VISITOR';\nUPDATE "users" SET "role" = 'VISITOR';`,
  ],
});
