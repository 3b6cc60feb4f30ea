import { addColumnNotNullWithoutDefault } from '../../../src/lint/rules/add-column-not-null-without-default.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(addColumnNotNullWithoutDefault, {
  flagged: [
    {
      sql: '-- AlterTable\nALTER TABLE "users" ADD COLUMN "phone" TEXT NOT NULL;',
      line: 2,
      message: /NOT NULL column users\.phone without a default/,
    },
    {
      sql: 'ALTER TABLE t ADD COLUMN a int NOT NULL, ADD COLUMN b int NOT NULL DEFAULT 0, ADD COLUMN c int PRIMARY KEY;',
      count: 2,
    },
  ],
  passes: [
    'ALTER TABLE "users" ADD COLUMN "satshotConnected" BOOLEAN NOT NULL DEFAULT false;',
    'ALTER TABLE t ADD COLUMN a int;',
    'ALTER TABLE t ADD COLUMN id bigserial NOT NULL;',
    'ALTER TABLE t ADD COLUMN n int NOT NULL GENERATED ALWAYS AS IDENTITY;',
    'ALTER TABLE t ADD COLUMN total int NOT NULL GENERATED ALWAYS AS (a + b) STORED;',
    'CREATE TABLE t (a int);\nALTER TABLE t ADD COLUMN b int NOT NULL;',
  ],
});
