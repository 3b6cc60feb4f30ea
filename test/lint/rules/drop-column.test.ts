import { dropColumn } from '../../../src/lint/rules/drop-column.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(dropColumn, {
  flagged: [
    {
      sql: '-- AlterTable\nALTER TABLE "users" DROP COLUMN "johnDeereConnected";',
      line: 2,
      message: /drops column users\.johnDeereConnected/,
    },
    { sql: 'ALTER TABLE users DROP COLUMN a, DROP COLUMN IF EXISTS b CASCADE;', count: 2 },
    { sql: 'ALTER TABLE ONLY app.users DROP a;', message: /app\.users\.a/ },
    { sql: 'ALTER TABLE users ADD COLUMN a int;\nALTER TABLE users DROP COLUMN b;', line: 2 },
  ],
  passes: [
    'CREATE TABLE t (a int, b int);\nALTER TABLE t DROP COLUMN b;',
    'ALTER TABLE users ADD COLUMN tmp int;\nALTER TABLE users DROP COLUMN tmp;',
    'ALTER TABLE users DROP CONSTRAINT users_pkey;',
    'ALTER TABLE users ALTER COLUMN a DROP DEFAULT, ALTER COLUMN a DROP NOT NULL;',
  ],
});
