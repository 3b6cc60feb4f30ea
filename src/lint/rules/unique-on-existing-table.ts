import { addedColumn, addedConstraint, alterTableCommands, columnConstraints, get, tableKey, tableName } from '../ast.js';
import type { Rule, Violation } from '../types.js';

const UNIQUE = new Set(['CONSTR_UNIQUE', 'CONSTR_PRIMARY', 'CONSTR_EXCLUSION']);
const KIND: Record<string, string> = { CONSTR_UNIQUE: 'unique constraint', CONSTR_PRIMARY: 'primary key', CONSTR_EXCLUSION: 'exclusion constraint' };

export const uniqueOnExistingTable: Rule = {
  id: 'unique-on-existing-table',
  severity: 'risky',
  summary: 'A unique index or UNIQUE/PRIMARY KEY constraint on an existing table fails on duplicate rows (and, unless built concurrently, locks the table)',
  safer: 'Check for duplicates first (SELECT cols, count(*) … GROUP BY cols HAVING count(*) > 1), build the index with CREATE UNIQUE INDEX CONCURRENTLY in a migration of its own, then attach it instantly: ALTER TABLE … ADD CONSTRAINT … UNIQUE USING INDEX ….',
  check: (stmt, ctx) => {
    const index = get(stmt.node, 'IndexStmt');
    if (index) {
      if (!index.unique || ctx.isNewTable(tableKey(index.relation))) return [];
      const lock = index.concurrent ? '' : ', and writes wait while it builds';
      return [{ message: `adds unique index ${index.idxname ?? '(unnamed)'} on ${tableName(index.relation)}: it fails if existing rows hold duplicates${lock}` }];
    }
    const out: Violation[] = [];
    for (const { table, name, cmd } of alterTableCommands(stmt.node)) {
      if (ctx.isNewTable(table)) continue;
      const cons = addedConstraint(cmd);
      // USING INDEX attaches an index that is already built and checked: instant.
      if (cons && UNIQUE.has(cons.contype ?? '') && !cons.indexname) {
        out.push({ message: `adds ${KIND[cons.contype ?? '']}${cons.conname ? ` ${cons.conname}` : ''} on ${name}: it builds a unique index while reads and writes wait, and fails if existing rows hold duplicates` });
      }
      const col = addedColumn(cmd);
      if (col && columnConstraints(col).some((c) => UNIQUE.has(c.contype ?? ''))) {
        out.push({ message: `adds column ${name}.${col.colname ?? ''} with a unique index, built while reads and writes wait` });
      }
    }
    return out;
  },
};
