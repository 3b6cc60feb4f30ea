import { validateInSameTransaction } from '../../../src/lint/rules/validate-in-same-transaction.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(validateInSameTransaction, {
  flagged: [
    {
      sql: 'ALTER TABLE "messages" ADD CONSTRAINT "messages_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") NOT VALID;\nALTER TABLE "messages" VALIDATE CONSTRAINT "messages_userId_fkey";',
      line: 2,
      message: /validates messages_userId_fkey in the same transaction that added it NOT VALID/,
    },
    {
      sql: 'ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nSELECT 1;\nALTER TABLE t VALIDATE CONSTRAINT c;',
      line: 3,
    },
    {
      sql: 'ALTER TABLE t ADD COLUMN a int;\nALTER TABLE t VALIDATE CONSTRAINT c;',
      message: /after an earlier statement of the same transaction took a strong lock on t/,
    },
    // The FK's SHARE ROW EXCLUSIVE lock on the referenced table is held too.
    {
      sql: 'ALTER TABLE a ADD CONSTRAINT f FOREIGN KEY (x) REFERENCES b(id) NOT VALID;\nALTER TABLE b VALIDATE CONSTRAINT other;',
      line: 2,
    },
  ],
  passes: [
    'ALTER TABLE t VALIDATE CONSTRAINT c;',
    "SET lock_timeout = '5s';\nALTER TABLE t VALIDATE CONSTRAINT c;",
    // An explicit COMMIT ends the transaction: the lock is released before the validation.
    'ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nCOMMIT;\nALTER TABLE t VALIDATE CONSTRAINT c;',
    'ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nALTER TABLE u VALIDATE CONSTRAINT d;',
    'CREATE TABLE t (a int);\nALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT c;',
  ],
});
