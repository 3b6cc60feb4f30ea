import { setNotNull } from '../../../src/lint/rules/set-not-null.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(setNotNull, {
  flagged: [
    { sql: '-- AlterTable\nALTER TABLE "users" ALTER COLUMN "name" SET NOT NULL;', line: 2, message: /sets users\.name NOT NULL/ },
    { sql: 'ALTER TABLE t ALTER a SET NOT NULL, ALTER b SET NOT NULL;', count: 2 },
    { sql: 'ALTER TABLE t ADD COLUMN a int;\nUPDATE t SET a = 0 WHERE a IS NULL;\nALTER TABLE t ALTER COLUMN a SET NOT NULL;', line: 3 },
  ],
  passes: [
    'ALTER TABLE t ALTER COLUMN a DROP NOT NULL;',
    'CREATE TABLE t (a int);\nALTER TABLE t ALTER COLUMN a SET NOT NULL;',
    'ALTER TABLE t ADD CONSTRAINT a_not_null CHECK (a IS NOT NULL) NOT VALID;',
  ],
});
