import { createIndexWithoutConcurrently } from '../../../src/lint/rules/create-index-without-concurrently.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(createIndexWithoutConcurrently, {
  flagged: [
    {
      sql: '-- CreateIndex\nCREATE INDEX "messages_body_idx" ON "messages"("body");',
      line: 2,
      message: /index messages_body_idx on messages without CONCURRENTLY/,
    },
    { sql: 'CREATE UNIQUE INDEX IF NOT EXISTS u ON app.users (lower(email));', message: /app\.users/ },
    { sql: 'CREATE INDEX ON t USING gin (doc);', message: /\(unnamed\)/ },
  ],
  passes: [
    'CREATE INDEX CONCURRENTLY "messages_body_idx" ON "messages"("body");',
    // Prisma's usual shape: the table and its indexes in one migration.
    'CREATE TABLE "satshot_tokens" ("id" SERIAL NOT NULL, "userId" INTEGER NOT NULL);\nCREATE INDEX "satshot_tokens_userId_idx" ON "satshot_tokens"("userId");',
    'CREATE TABLE a (x int);\nALTER TABLE a RENAME TO b;\nCREATE INDEX ON b (x);',
  ],
});
