import { uniqueOnExistingTable } from '../../../src/lint/rules/unique-on-existing-table.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(uniqueOnExistingTable, {
  flagged: [
    {
      sql: '-- CreateIndex\nCREATE UNIQUE INDEX "users_name_key" ON "users"("name");',
      line: 2,
      message: /unique index users_name_key on users: it fails if existing rows hold duplicates, and writes wait/,
    },
    {
      sql: 'ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);',
      message: /unique constraint users_email_key on users/,
    },
    { sql: 'ALTER TABLE t ADD PRIMARY KEY (id);', message: /adds primary key on t/ },
    { sql: 'ALTER TABLE t ADD CONSTRAINT no_overlap EXCLUDE USING gist (r WITH &&);', message: /exclusion constraint/ },
    { sql: 'ALTER TABLE t ADD COLUMN code text UNIQUE;', message: /column t\.code with a unique index/ },
  ],
  passes: [
    'CREATE TABLE "users" ("id" SERIAL NOT NULL, "email" TEXT NOT NULL);\nCREATE UNIQUE INDEX "users_email_key" ON "users"("email");',
    'ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;',
    'CREATE INDEX users_name_idx ON users (name);',
    'CREATE TABLE t (id int);\nALTER TABLE t ADD PRIMARY KEY (id);',
    // Issue 16: the recipe, split across migrations as docs/lint/unique-on-existing-table.md says.
    '-- SELECT "email", count(*) FROM "users" GROUP BY 1 HAVING count(*) > 1;  → no rows\nCREATE UNIQUE INDEX CONCURRENTLY "users_email_key" ON "users"("email");',
    {
      before: ['CREATE UNIQUE INDEX CONCURRENTLY "users_email_key" ON "users"("email");'],
      sql: 'ALTER TABLE "users" ADD CONSTRAINT "users_email_key" UNIQUE USING INDEX "users_email_key";',
    },
    {
      before: ['CREATE UNIQUE INDEX CONCURRENTLY "t_pkey_idx" ON "t"("id");'],
      sql: 'ALTER TABLE "t" ADD CONSTRAINT "t_pkey" PRIMARY KEY USING INDEX "t_pkey_idx";',
    },
  ],
});
