import { get } from '../ast.js';
import type { Rule } from '../types.js';

export const renameSchema: Rule = {
  id: 'rename-schema',
  severity: 'risky',
  kinds: ['RenameStmt'],
  summary: 'ALTER SCHEMA … RENAME TO breaks the previous release, which names its tables by the old schema',
  safer:
    'Keep the schema name; or create the new schema, move objects over with views left behind, and drop the ' +
    'old names once no release uses them.',
  check: (stmt, ctx) => {
    const rename = get(stmt.node, 'RenameStmt');
    if (rename?.renameType !== 'OBJECT_SCHEMA' || !rename.subname || ctx.isNewSchema(rename.subname)) return [];
    return [
      {
        message:
          `renames schema ${rename.subname} to ${rename.newname ?? ''}: every query of the previous release ` +
          `(running during the deploy, and the rollback target) that names ${rename.subname} fails, as does a ` +
          `search_path that lists it`,
      },
    ];
  },
};
