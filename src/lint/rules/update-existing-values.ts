import { get, tableKey, tableName } from '../ast.js';
import type { Rule } from '../types.js';

export const updateExistingValues: Rule = {
  id: 'update-existing-values',
  severity: 'risky',
  kinds: ['UpdateStmt'],
  summary: 'UPDATE of a column that existed before the migration rewrites data the previous release wrote and reads',
  safer:
    'Write the new form to a new column (backfilled where it is NULL) and switch reads in a later release; ' +
    'a code-only rollback then keeps the old values. If the rewrite is the point, let the rollback restore ' +
    'the backup.',
  check: (stmt, ctx) => {
    const update = get(stmt.node, 'UpdateStmt');
    if (!update) return [];
    const table = tableKey(update.relation);
    if (ctx.isNewTable(table)) return [];
    // Backfilling a column added in this migration changes no value that existed.
    const existing = (update.targetList ?? [])
      .map((t) => get(t, 'ResTarget')?.name)
      .filter((c): c is string => Boolean(c) && !ctx.isNewColumn(table, c!));
    if (existing.length === 0) return [];
    const which = update.whereClause ? 'the rows matching its WHERE' : 'every row';
    return [
      {
        message:
          `changes existing values of ${existing.map((c) => `${tableName(update.relation)}.${c}`).join(', ')} ` +
          `in ${which}: a rollback that keeps the database keeps them rewritten, and the previous release ` +
          `reads them`,
      },
    ];
  },
};
