import { alterTableCommands } from '../ast.js';
import type { Rule } from '../types.js';

export const dropColumn: Rule = {
  id: 'drop-column',
  severity: 'destructive',
  kinds: ['AlterTableStmt'],
  summary: 'ALTER TABLE … DROP COLUMN deletes the column and its data',
  safer:
    'Expand and contract: release code that no longer reads or writes the column first, then drop the ' +
    'column in a later release (copy its data aside if it may be needed).',
  check: (stmt, ctx) =>
    alterTableCommands(stmt.node)
      .filter(({ table, cmd }) => cmd.subtype === 'AT_DropColumn' && !ctx.isNewColumn(table, cmd.name ?? ''))
      .map(({ name, cmd }) => ({
        message:
          `drops column ${name}.${cmd.name ?? ''} and its data; the previous release (the rollback target) ` +
          `still reads and writes it`,
      })),
};
