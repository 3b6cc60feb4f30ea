import {
  addedColumn,
  addedConstraint,
  alterTableCommands,
  columnConstraints,
  get,
  tableKey,
  tableName,
} from '../ast.js';
import type { Rule, Violation } from '../types.js';

const UNIQUE = new Set(['CONSTR_UNIQUE', 'CONSTR_PRIMARY', 'CONSTR_EXCLUSION']);
const KIND: Record<string, string> = {
  CONSTR_UNIQUE: 'unique constraint',
  CONSTR_PRIMARY: 'primary key',
  CONSTR_EXCLUSION: 'exclusion constraint',
};

export const uniqueOnExistingTable: Rule = {
  id: 'unique-on-existing-table',
  severity: 'risky',
  kinds: ['IndexStmt', 'AlterTableStmt'],
  summary:
    'A unique index (not built CONCURRENTLY) or UNIQUE/PRIMARY KEY constraint on an existing table locks it ' +
    'while it builds, and fails on duplicate rows',
  safer:
    'Check for duplicates first (SELECT cols, count(*) … GROUP BY cols HAVING count(*) > 1), build the ' +
    'index with CREATE UNIQUE INDEX CONCURRENTLY in a migration of its own, then attach it instantly: ALTER ' +
    'TABLE … ADD CONSTRAINT … UNIQUE USING INDEX ….',
  check: (stmt, ctx) => {
    const index = get(stmt.node, 'IndexStmt');
    if (index) {
      // Built CONCURRENTLY (the recipe's first step), a unique index blocks nothing; on duplicates it
      // fails, leaving an INVALID index and a failed deploy, but changes no data and no lock waits.
      if (!index.unique || index.concurrent || ctx.isNewTable(tableKey(index.relation))) return [];
      return [
        {
          message:
            `adds unique index ${index.idxname ?? '(unnamed)'} on ${tableName(index.relation)}: it fails if ` +
            `existing rows hold duplicates, and writes wait while it builds`,
          // Duplicates make the migration fail on the rehearsal's copy first; the lock is what size changes.
          cost: { table: tableKey(index.relation), name: tableName(index.relation), work: 'index', onlyLockTime: true },
        },
      ];
    }
    const out: Violation[] = [];
    for (const { table, name, cmd } of alterTableCommands(stmt.node)) {
      if (ctx.isNewTable(table)) continue;
      const cons = addedConstraint(cmd);
      // USING INDEX attaches an index that is already built and checked: instant.
      if (cons && UNIQUE.has(cons.contype ?? '') && !cons.indexname) {
        out.push({
          message:
            `adds ${KIND[cons.contype ?? '']}${cons.conname ? ` ${cons.conname}` : ''} on ${name}: it builds ` +
            `a unique index while reads and writes wait, and fails if existing rows hold duplicates`,
          cost: { table, name, work: 'index', onlyLockTime: true },
        });
      }
      const col = addedColumn(cmd);
      if (col && columnConstraints(col).some((c) => UNIQUE.has(c.contype ?? ''))) {
        out.push({
          message: `adds column ${name}.${col.colname ?? ''} with a unique index, built while reads and writes wait`,
          cost: { table, name, work: 'index', onlyLockTime: true },
        });
      }
    }
    return out;
  },
};
