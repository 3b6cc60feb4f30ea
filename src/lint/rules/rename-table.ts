import { get, tableKey, tableName } from '../ast.js';
import type { Rule } from '../types.js';

export const renameTable: Rule = {
  id: 'rename-table',
  severity: 'risky',
  kinds: ['RenameStmt'],
  summary: 'ALTER TABLE … RENAME TO breaks the previous release, which still uses the old name',
  safer:
    'Keep the table name in the database and rename only in code (Prisma: `@@map("old_name")`); or rename ' +
    'and leave a view with the old name until the previous release is gone.',
  check: (stmt, ctx) => {
    const rename = get(stmt.node, 'RenameStmt');
    if (rename?.renameType !== 'OBJECT_TABLE' || ctx.isNewTable(tableKey(rename.relation))) return [];
    return [
      {
        message:
          `renames table ${tableName(rename.relation)} to ${rename.newname ?? ''}: the previous release, ` +
          `running during the deploy and the rollback target, keeps using the old name and fails`,
      },
    ];
  },
};
