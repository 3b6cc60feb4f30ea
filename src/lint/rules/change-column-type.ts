import { alterTableCommands } from '../ast.js';
import type { Rule } from '../types.js';

export const changeColumnType: Rule = {
  id: 'change-column-type',
  severity: 'risky',
  summary: 'ALTER COLUMN … TYPE usually rewrites the table under an ACCESS EXCLUSIVE lock and can fail on existing values',
  safer: 'Add a new column of the new type, write both from the app, backfill in batches, move reads to it, and drop the old column in a later release.',
  check: (stmt, ctx) =>
    alterTableCommands(stmt.node)
      .filter(({ table, cmd }) => cmd.subtype === 'AT_AlterColumnType' && !ctx.isNewTable(table))
      .map(({ name, cmd }) => ({
        message: `changes the type of ${name}.${cmd.name ?? ''}: unless the change is binary-compatible (e.g. varchar(n) to text) PostgreSQL rewrites the table and its indexes while reads and writes wait, the cast fails on values it cannot convert, and the previous release still expects the old type`,
      })),
};
