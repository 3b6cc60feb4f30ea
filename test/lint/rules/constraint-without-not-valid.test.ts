import { constraintWithoutNotValid } from '../../../src/lint/rules/constraint-without-not-valid.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(constraintWithoutNotValid, {
  flagged: [
    {
      sql: '-- AddForeignKey\nALTER TABLE "messages" ADD CONSTRAINT "messages_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;',
      line: 2,
      message:
        /foreign key messages_userId_fkey on messages without NOT VALID: every existing row is checked while writes to messages and users wait/,
    },
    {
      sql: 'ALTER TABLE orders ADD CONSTRAINT positive CHECK (total >= 0);',
      message: /check positive on orders without NOT VALID/,
    },
    { sql: 'ALTER TABLE orders ADD CHECK (total >= 0), ADD FOREIGN KEY (c) REFERENCES c(id);', count: 2 },
    {
      sql: 'ALTER TABLE messages ADD COLUMN "roomId" INT REFERENCES rooms(id);',
      message: /column messages\.roomId with a foreign key to rooms/,
    },
  ],
  passes: [
    'ALTER TABLE "messages" ADD CONSTRAINT "messages_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") NOT VALID;',
    'ALTER TABLE orders ADD CONSTRAINT positive CHECK (total >= 0) NOT VALID;',
    // A new table's foreign key to an existing table: nothing to validate.
    'CREATE TABLE "satshot_tokens" ("id" SERIAL NOT NULL, "userId" INTEGER NOT NULL);\nALTER TABLE "satshot_tokens" ADD CONSTRAINT "satshot_tokens_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;',
    'CREATE TABLE t (a int REFERENCES users(id), CHECK (a > 0));',
    'ALTER TABLE orders VALIDATE CONSTRAINT positive;',
  ],
});
