import { transactionControl } from '../../../src/lint/rules/transaction-control.js';
import { prismaAlterEnum } from '../prismaSql.js';
import { ruleTable } from '../ruleTable.js';

ruleTable(transactionControl, {
  flagged: [
    // Issue 16: BEGIN without COMMIT, nested BEGIN, COMMIT; … BEGIN;
    { sql: 'BEGIN;\nCREATE TABLE users (id bigint);', line: 1, message: /BEGIN is never committed/ },
    { sql: 'START TRANSACTION;\nCREATE TABLE users (id bigint);', line: 1, message: /never committed/ },
    { sql: 'BEGIN;\nSELECT 1;\nCOMMIT;\n\nBEGIN;\nSELECT 2;', count: 2, line: 3 },
    {
      sql: 'BEGIN;\nBEGIN;\nSELECT 1;\nCOMMIT;',
      line: 2,
      message: /BEGIN inside the transaction block opened at line 1/,
    },
    {
      sql: 'ALTER TABLE t ADD COLUMN a int;\nCOMMIT;\nBEGIN;\nALTER TABLE t ADD COLUMN b int;\nCOMMIT;',
      line: 2,
      message: /COMMIT before the end of the migration/,
    },
    { sql: 'SELECT 1;\nCOMMIT;\nSELECT 2;', line: 2 },
    {
      sql: `${prismaAlterEnum}\n\n-- AlterTable\nALTER TABLE "users" ADD COLUMN "x" TEXT;`,
      line: 8,
      message: /half applied/,
    },
    { sql: 'SELECT 1;\nROLLBACK;', line: 2, message: /ROLLBACK at the end .* Prisma records the migration as applied/ },
    { sql: 'BEGIN;\nDELETE FROM t;\nROLLBACK;\nSELECT 1;', line: 3, message: /in the middle/ },
    { sql: "BEGIN;\nSELECT 1;\nPREPARE TRANSACTION 'x';", line: 3, message: /two-phase commit/ },
    { sql: "COMMIT PREPARED 'x';", message: /two-phase/ },
  ],
  passes: [
    'CREATE TABLE users (id bigint);',
    'BEGIN;\nCREATE TABLE users (id bigint);\nCOMMIT;',
    'BEGIN;\nCREATE TABLE users (id bigint);\nEND;',
    prismaAlterEnum,
    // Statements before a BEGIN join its block: one transaction still.
    'ALTER TABLE t ADD COLUMN a int;\nBEGIN;\nALTER TABLE t ADD COLUMN b int;\nCOMMIT;',
    // A lone COMMIT at the end only commits what would commit anyway (PostgreSQL warns).
    'ALTER TABLE t ADD COLUMN a int;\nCOMMIT;',
    'BEGIN;\nSAVEPOINT s;\nALTER TABLE t ADD COLUMN a int;\nROLLBACK TO SAVEPOINT s;\nRELEASE SAVEPOINT s;\nCOMMIT;',
  ],
});
