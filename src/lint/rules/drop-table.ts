import { dropTargets, get } from '../ast.js';
import type { Rule } from '../types.js';

export const dropTable: Rule = {
  id: 'drop-table',
  severity: 'destructive',
  kinds: ['DropStmt'],
  summary: 'DROP TABLE deletes the table and every row in it',
  safer:
    'Stop using the table in one release; drop it in a later release, once no rollback can need it (keep a ' +
    'dump of it, or rename it aside until then).',
  check: (stmt, ctx) => {
    if (get(stmt.node, 'DropStmt')?.removeType !== 'OBJECT_TABLE') return [];
    return dropTargets(stmt.node)
      .filter((t) => !ctx.isNewTable(t.key))
      .map((t) => ({
        message: `drops table ${t.name} and all its rows; the previous release (the rollback target) still uses it`,
        removesRowsOf: t.key,
        cost: { table: t.key, name: t.name, work: 'rows' as const, onlyLockTime: false },
      }));
  },
};
