import { updateExistingValues } from '../../../src/lint/rules/update-existing-values.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(updateExistingValues, {
  flagged: [
    {
      sql: 'UPDATE "User" SET "email" = lower("email") WHERE "email" <> lower("email");',
      message: /existing values of User\.email in the rows matching its WHERE/,
    },
    { sql: 'UPDATE users SET active = true WHERE id IN (1, 2);', message: /users\.active/ },
    { sql: 'UPDATE users SET name = upper(name);', message: /in every row/ },
    {
      sql: 'ALTER TABLE users ADD COLUMN full_name text;\nUPDATE users SET full_name = name, name = upper(name) WHERE true;',
      line: 2,
      message: /users\.name in/,
    },
  ],
  passes: [
    'ALTER TABLE "User" ADD COLUMN "emailDomain" TEXT;\nUPDATE "User" SET "emailDomain" = split_part("email", \'@\', 2) WHERE "emailDomain" IS NULL;',
    'CREATE TABLE t (a int);\nINSERT INTO t VALUES (1);\nUPDATE t SET a = 2 WHERE a = 1;',
    "INSERT INTO users (name) VALUES ('a');",
  ],
});
