import { alterTableCommands } from '../ast.js';
import type { Rule } from '../types.js';

export const setNotNull: Rule = {
  id: 'set-not-null',
  severity: 'risky',
  kinds: ['AlterTableStmt'],
  summary:
    'ALTER COLUMN … SET NOT NULL scans the table under an ACCESS EXCLUSIVE lock and fails if a NULL remains (unless a validated CHECK (col IS NOT NULL) proves it)',
  safer:
    'Add `CHECK (col IS NOT NULL) NOT VALID`, VALIDATE it in a later migration, then SET NOT NULL (PostgreSQL 12+ trusts the valid check and skips the scan) and drop the check.',
  check: (stmt, ctx) =>
    alterTableCommands(stmt.node)
      // A validated CHECK (col IS NOT NULL), from an earlier migration or statement, proves it: no scan.
      .filter(
        ({ table, cmd }) =>
          cmd.subtype === 'AT_SetNotNull' &&
          !ctx.isNewTable(table) &&
          !ctx.schema.hasValidNotNullCheck(table, cmd.name ?? ''),
      )
      .map(({ name, cmd }) => ({
        message: `sets ${name}.${cmd.name ?? ''} NOT NULL: PostgreSQL scans the whole table while reads and writes wait, and fails if any row holds NULL`,
      })),
};
