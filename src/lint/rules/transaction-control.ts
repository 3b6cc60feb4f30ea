import { transactionKind } from '../ast.js';
import type { Rule } from '../types.js';

export const transactionControl: Rule = {
  id: 'transaction-control',
  severity: 'error',
  kinds: ['TransactionStmt'],
  summary:
    'BEGIN without COMMIT, a nested BEGIN, a COMMIT or ROLLBACK with statements after it, two-phase commit: ' +
    'Prisma already runs the migration as one transaction, so it fails or commits only part of it',
  safer:
    "Leave transaction control to Prisma: no BEGIN, COMMIT or ROLLBACK in migration.sql (Prisma's own BEGIN " +
    '… COMMIT around the whole file is fine). Statements that must commit separately go in migrations of ' +
    'their own.',
  check: (stmt, ctx) => {
    const control = transactionKind(stmt.node);
    const last = stmt.index === ctx.statementCount - 1;
    if (control === 'begin' && ctx.openBegin) {
      return [
        {
          message:
            `BEGIN inside the transaction block opened at line ${ctx.openBegin.line}: PostgreSQL ignores it ` +
            `(a warning), so the first COMMIT ends the outer block and what follows commits on its own`,
        },
      ];
    }
    if (control === 'commit' && !last) {
      return [
        {
          message:
            'COMMIT before the end of the migration: the statements before it are committed at once, so if ' +
            'a later one fails Prisma records a failed migration that is half applied (and refuses to ' +
            'deploy past it)',
        },
      ];
    }
    if (control === 'rollback') {
      return [
        {
          message:
            `ROLLBACK ${last ? 'at the end' : 'in the middle'} of the migration: it silently undoes the ` +
            `statements before it, and Prisma records the migration as applied`,
        },
      ];
    }
    if (control === 'two-phase') {
      return [
        {
          message:
            'two-phase commit (PREPARE TRANSACTION, COMMIT/ROLLBACK PREPARED) in a migration: it is not ' +
            "Prisma's transaction to prepare, and a prepared transaction holds its locks until someone " +
            'finishes it',
        },
      ];
    }
    return [];
  },
  end: (ctx) =>
    ctx.openBegin
      ? [
          {
            at: ctx.openBegin,
            message:
              'BEGIN is never committed: the migration ends inside an open transaction block, which commits ' +
              'or rolls back only when Prisma (or the closed connection) ends it',
          },
        ]
      : [],
};
