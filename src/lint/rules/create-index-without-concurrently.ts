import { get, tableKey, tableName } from '../ast.js';
import type { Rule } from '../types.js';

export const createIndexWithoutConcurrently: Rule = {
  id: 'create-index-without-concurrently',
  severity: 'risky',
  kinds: ['IndexStmt'],
  summary: 'CREATE INDEX without CONCURRENTLY blocks every write to the table while the index builds',
  safer:
    'CREATE INDEX CONCURRENTLY, alone in a migration of its own (CONCURRENTLY cannot run in the transaction ' +
    'a multi-statement migration runs in). If it fails, drop the INVALID index it leaves and retry.',
  check: (stmt, ctx) => {
    const index = get(stmt.node, 'IndexStmt');
    if (!index || index.concurrent || ctx.isNewTable(tableKey(index.relation))) return [];
    return [
      {
        message:
          `builds index ${index.idxname ?? '(unnamed)'} on ${tableName(index.relation)} without CONCURRENTLY: ` +
          `INSERT, UPDATE and DELETE on it wait until the whole index is built`,
        cost: { table: tableKey(index.relation), name: tableName(index.relation), work: 'index', onlyLockTime: true },
      },
    ];
  },
};
