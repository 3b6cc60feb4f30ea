import { alterTableCommands } from '../ast.js';
import type { Rule } from '../types.js';

export const dropDefault: Rule = {
  id: 'drop-default',
  severity: 'risky',
  kinds: ['AlterTableStmt'],
  summary: "ALTER COLUMN … DROP DEFAULT breaks the previous release's INSERTs that leave the column out",
  safer:
    'Release code that always writes the column first (Prisma: remove the `@default` only once the code ' +
    'sets the field), then drop the default in a later release.',
  check: (stmt, ctx) =>
    alterTableCommands(stmt.node)
      .filter(
        ({ table, cmd }) =>
          cmd.subtype === 'AT_ColumnDefault' && cmd.def === undefined && !ctx.isNewColumn(table, cmd.name ?? ''),
      )
      .map(({ table, name, cmd }) => {
        const notNull = ctx.schema.column(table, cmd.name ?? '')?.notNull;
        const then = notNull
          ? 'fail (the column is NOT NULL)'
          : notNull === false
            ? 'store NULL'
            : 'store NULL, or fail if the column is NOT NULL';
        return {
          message:
            `drops the default of ${name}.${cmd.name ?? ''}: INSERTs of the previous release (running during ` +
            `the deploy, and the rollback target) that leave it out now ${then}`,
        };
      }),
};
