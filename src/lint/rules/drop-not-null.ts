import { alterTableCommands } from '../ast.js';
import type { Rule } from '../types.js';

export const dropNotNull: Rule = {
  id: 'drop-not-null',
  severity: 'risky',
  kinds: ['AlterTableStmt'],
  summary: 'ALTER COLUMN … DROP NOT NULL lets NULLs in that the previous release does not expect',
  safer:
    'Release code that handles NULL in the column first (Prisma: make the field optional, `String?`), then ' +
    'drop NOT NULL in a later release.',
  check: (stmt, ctx) =>
    alterTableCommands(stmt.node)
      .filter(({ table, cmd }) => cmd.subtype === 'AT_DropNotNull' && !ctx.isNewColumn(table, cmd.name ?? ''))
      .map(({ name, cmd }) => ({
        message:
          `drops NOT NULL from ${name}.${cmd.name ?? ''}: the new release may write NULL there, and the ` +
          `previous release (still running during the deploy, and the rollback target) reads it as never NULL`,
      })),
};
