import { changeColumnType } from '../../../src/lint/rules/change-column-type.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(changeColumnType, {
  flagged: [
    { sql: '-- AlterTable\nALTER TABLE "messages" ALTER COLUMN "body" SET DATA TYPE VARCHAR(500);', line: 2, message: /type of messages\.body/ },
    { sql: 'ALTER TABLE t ALTER COLUMN a TYPE bigint, ALTER COLUMN b TYPE text USING b::text;', count: 2 },
    { sql: 'ALTER TABLE "users" ALTER COLUMN "role" TYPE "Role_new" USING ("role"::text::"Role_new");' },
  ],
  passes: [
    'CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a TYPE bigint;',
    'ALTER TABLE t ALTER COLUMN a SET DEFAULT 0;',
    'ALTER DOMAIN d SET NOT NULL;',
  ],
});
