import { get, tableKey, tableName } from '../ast.js';
import type { Rule } from '../types.js';

export const updateWholeTable: Rule = {
  id: 'update-whole-table',
  severity: 'risky',
  kinds: ['UpdateStmt'],
  summary: 'UPDATE without WHERE rewrites every row and keeps them all locked until the migration ends',
  safer:
    'Backfill in batches outside the migration (UPDATE … WHERE id BETWEEN …, one transaction per batch), or ' +
    'restrict the UPDATE to the rows that need it.',
  check: (stmt, ctx) => {
    const update = get(stmt.node, 'UpdateStmt');
    if (!update || update.whereClause || ctx.isNewTable(tableKey(update.relation))) return [];
    return [
      {
        message:
          `updates every row of ${tableName(update.relation)} in one statement: each row stays locked ` +
          `(writers wait) until the migration commits, the table grows by a full copy, and the old values are ` +
          `overwritten`,
        // The values themselves: update-existing-values, whatever the size.
        cost: {
          table: tableKey(update.relation),
          name: tableName(update.relation),
          work: 'rewrite',
          onlyLockTime: true,
        },
      },
    ];
  },
};
