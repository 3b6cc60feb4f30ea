import { get, tableKey, tableName } from '../ast.js';
import type { Rule } from '../types.js';

export const truncateTable: Rule = {
  id: 'truncate-table',
  severity: 'destructive',
  kinds: ['TruncateStmt'],
  summary: 'TRUNCATE deletes every row of the table',
  safer:
    'Do not empty tables in a schema migration. If the rows must go, archive them first and remove them in ' +
    'a separate, reviewed job after the deploy.',
  check: (stmt, ctx) => {
    const truncate = get(stmt.node, 'TruncateStmt');
    if (!truncate) return [];
    const cascade =
      truncate.behavior === 'DROP_CASCADE' ? ' (CASCADE also empties every table that references it)' : '';
    return (truncate.relations ?? [])
      .map((r) => get(r, 'RangeVar'))
      .filter((r) => !ctx.isNewTable(tableKey(r)))
      .map((r) => ({
        message: `deletes every row of ${tableName(r)}${cascade}`,
        removesRowsOf: tableKey(r),
        cost: { table: tableKey(r), name: tableName(r), work: 'rows' as const, onlyLockTime: false },
      }));
  },
};
