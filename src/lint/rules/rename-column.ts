import { get, tableKey, tableName } from '../ast.js';
import type { Rule } from '../types.js';

export const renameColumn: Rule = {
  id: 'rename-column',
  severity: 'risky',
  kinds: ['RenameStmt'],
  summary: 'RENAME COLUMN breaks the previous release, which still uses the old name',
  safer:
    'Keep the column name in the database and rename only in code (Prisma: `newName Type ' +
    '@map("old_name")`); or add the new column, write both, backfill, and drop the old one later.',
  check: (stmt, ctx) => {
    const rename = get(stmt.node, 'RenameStmt');
    if (rename?.renameType !== 'OBJECT_COLUMN' || rename.relationType !== 'OBJECT_TABLE') return [];
    if (ctx.isNewColumn(tableKey(rename.relation), rename.subname ?? '')) return [];
    return [
      {
        message:
          `renames ${tableName(rename.relation)}.${rename.subname ?? ''} to ${rename.newname ?? ''}: the ` +
          `previous release, running during the deploy and the rollback target, keeps using the old name and ` +
          `fails`,
      },
    ];
  },
};
