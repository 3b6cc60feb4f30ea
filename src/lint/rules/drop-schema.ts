import { dropTargets, get } from '../ast.js';
import type { Rule } from '../types.js';

export const dropSchema: Rule = {
  id: 'drop-schema',
  severity: 'destructive',
  kinds: ['DropStmt'],
  summary: 'DROP SCHEMA deletes the schema (with CASCADE, every table in it)',
  safer:
    'Drop the objects in the schema one by one, each in the release after the code stopped using it; drop ' +
    'the empty schema last, without CASCADE.',
  check: (stmt, ctx) => {
    const drop = get(stmt.node, 'DropStmt');
    if (drop?.removeType !== 'OBJECT_SCHEMA') return [];
    const cascade = drop.behavior === 'DROP_CASCADE';
    return dropTargets(stmt.node)
      .filter((s) => !ctx.isNewSchema(s.key))
      .map((s) => ({
        message: cascade
          ? `drops schema ${s.name} with CASCADE: every table, type and function in it goes, with all their data`
          : `drops schema ${s.name} and whatever is still in it`,
      }));
  },
};
