import { dropTargets, get } from '../ast.js';
import type { Rule } from '../types.js';

export const dropType: Rule = {
  id: 'drop-type',
  severity: 'destructive',
  kinds: ['DropStmt'],
  summary: 'DROP TYPE/DOMAIN removes a type the previous release uses; with CASCADE, every column of that type',
  safer:
    'Convert or drop the columns that use the type in an earlier release, then drop the type without ' +
    'CASCADE (it then fails instead of deleting data if a column still uses it).',
  check: (stmt, ctx) => {
    const drop = get(stmt.node, 'DropStmt');
    if (drop?.removeType !== 'OBJECT_TYPE' && drop?.removeType !== 'OBJECT_DOMAIN') return [];
    const cascade = drop.behavior === 'DROP_CASCADE';
    return (
      dropTargets(stmt.node)
        // A type renamed aside in this migration (Prisma's `Role_old` while recreating an enum) has
        // had its columns converted; without CASCADE the drop fails rather than deleting data.
        .filter((t) => !ctx.isNewType(t.key) && (cascade || !ctx.isRenamedType(t.key)))
        .map((t) => ({
          message: cascade
            ? `drops type ${t.name} with CASCADE: every column of that type is dropped with its data`
            : `drops type ${t.name}, which the previous release (the rollback target) may still use`,
        }))
    );
  },
};
