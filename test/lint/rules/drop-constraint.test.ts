import { dropConstraint } from '../../../src/lint/rules/drop-constraint.js';
import { ruleTable } from '../ruleTable.js';

const users =
  'CREATE TABLE "users" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL, "name" TEXT, CONSTRAINT "users_pkey" PRIMARY KEY ("id"));\nCREATE UNIQUE INDEX "users_email_key" ON "users"("email");';
const messages =
  'CREATE TABLE "messages" ("id" SERIAL NOT NULL, "userId" INTEGER NOT NULL, CONSTRAINT "messages_pkey" PRIMARY KEY ("id"));\nALTER TABLE "messages" ADD CONSTRAINT "messages_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;';

ruleTable(dropConstraint, {
  flagged: [
    // Issue 16: DROP CONSTRAINT that old code relies on.
    {
      sql: '-- DropForeignKey\nALTER TABLE "messages" DROP CONSTRAINT "messages_userId_fkey";',
      line: 2,
      message: /drops constraint messages_userId_fkey from messages: whatever it guaranteed/,
    },
    {
      before: [users, messages],
      sql: 'ALTER TABLE "messages" DROP CONSTRAINT "messages_userId_fkey";',
      message: /drops foreign key messages_userId_fkey from messages: its ON DELETE\/ON UPDATE actions stop/,
    },
    {
      before: [users, 'ALTER TABLE "users" ADD CONSTRAINT "users_email_unique" UNIQUE USING INDEX "users_email_key";'],
      sql: 'ALTER TABLE "users" DROP CONSTRAINT "users_email_unique";',
      message: /drops unique users_email_unique .* ON CONFLICT/,
    },
    {
      before: [users],
      sql: 'ALTER TABLE "users" DROP CONSTRAINT "users_pkey";',
      message: /drops primary key users_pkey/,
    },
    {
      before: [users, 'ALTER TABLE "users" ADD CONSTRAINT "c" CHECK (length("name") > 0);'],
      sql: 'ALTER TABLE "users" DROP CONSTRAINT "c";',
      message: /drops check c from users: values it rejected can get in/,
    },
    // The NOT NULL check, while the column is still nullable, guards something.
    {
      before: [users, 'ALTER TABLE "users" ADD CONSTRAINT "users_name_not_null" CHECK ("name" IS NOT NULL) NOT VALID;'],
      sql: 'ALTER TABLE "users" DROP CONSTRAINT "users_name_not_null";',
      message: /drops check users_name_not_null/,
    },
    // Added back under another name: the old one is still gone.
    { sql: 'ALTER TABLE t DROP CONSTRAINT a;\nALTER TABLE t ADD CONSTRAINT b UNIQUE (x);', line: 1 },
    { sql: 'ALTER TABLE t DROP CONSTRAINT a, DROP CONSTRAINT b;', count: 2 },
  ],
  passes: [
    // Prisma's change of a foreign key's actions: dropped and added back under the same name.
    '-- DropForeignKey\nALTER TABLE "messages" DROP CONSTRAINT "messages_userId_fkey";\n\n-- AddForeignKey\nALTER TABLE "messages" ADD CONSTRAINT "messages_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE CASCADE;',
    'ALTER TABLE "t" DROP CONSTRAINT "t_pkey",\nADD CONSTRAINT "t_pkey" PRIMARY KEY ("id", "at");',
    'CREATE TABLE t (a int, CONSTRAINT c CHECK (a > 0));\nALTER TABLE t DROP CONSTRAINT c;',
    // Prisma's drop of a model: the table's foreign keys, then the table (drop-table's finding).
    '-- DropForeignKey\nALTER TABLE "satshot_tokens" DROP CONSTRAINT "satshot_tokens_userId_fkey";\n\n-- DropTable\nDROP TABLE "satshot_tokens";',
    'ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nALTER TABLE t DROP CONSTRAINT c;',
    // Issue 16: set-not-null's recipe drops its CHECK once the column is NOT NULL.
    {
      before: [
        users,
        'ALTER TABLE "users" ADD CONSTRAINT "users_name_not_null" CHECK ("name" IS NOT NULL) NOT VALID;',
        'ALTER TABLE "users" VALIDATE CONSTRAINT "users_name_not_null";',
      ],
      sql: 'ALTER TABLE "users" ALTER COLUMN "name" SET NOT NULL;\nALTER TABLE "users" DROP CONSTRAINT "users_name_not_null";',
    },
    {
      before: [
        'ALTER TABLE "users" ADD CONSTRAINT "users_name_not_null" CHECK ("name" IS NOT NULL) NOT VALID;',
        'ALTER TABLE "users" VALIDATE CONSTRAINT "users_name_not_null";',
        'ALTER TABLE "users" ALTER COLUMN "name" SET NOT NULL;',
      ],
      sql: 'ALTER TABLE "users" DROP CONSTRAINT "users_name_not_null";',
    },
  ],
});
