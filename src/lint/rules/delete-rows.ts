import { get, tableKey, tableName } from '../ast.js';
import type { Rule } from '../types.js';

export const deleteRows: Rule = {
  id: 'delete-rows',
  severity: 'destructive',
  kinds: ['DeleteStmt'],
  summary: 'DELETE removes rows (any DELETE, with or without WHERE)',
  safer:
    'Keep data clean-ups out of schema migrations: archive the rows (INSERT INTO …_archive SELECT …), then ' +
    'delete in batches in a separate, reviewed job after the deploy.',
  check: (stmt, ctx) => {
    const del = get(stmt.node, 'DeleteStmt');
    if (!del || ctx.isNewTable(tableKey(del.relation))) return [];
    const which = del.whereClause ? 'the rows matching its WHERE' : 'every row (no WHERE)';
    return [
      {
        message: `deletes ${which} from ${tableName(del.relation)}; only a backup restore brings them back`,
        removesRowsOf: tableKey(del.relation),
        cost: { table: tableKey(del.relation), name: tableName(del.relation), work: 'rows', onlyLockTime: false },
      },
    ];
  },
};
