import { dropTargets, get } from '../ast.js';
import type { Rule } from '../types.js';

export const dropIndexWithoutConcurrently: Rule = {
  id: 'drop-index-without-concurrently',
  severity: 'risky',
  kinds: ['DropStmt'],
  summary:
    'DROP INDEX without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the table, held until the migration commits',
  safer:
    'DROP INDEX CONCURRENTLY, alone in a migration of its own (CONCURRENTLY cannot run in the transaction a ' +
    'multi-statement migration runs in).',
  check: (stmt, ctx) => {
    const drop = get(stmt.node, 'DropStmt');
    if (drop?.removeType !== 'OBJECT_INDEX' || drop.concurrent) return [];
    return dropTargets(stmt.node)
      .filter((i) => !ctx.isNewIndex(i.key))
      .map((i) => {
        const on = ctx.schema.index(i.key)?.table;
        const table = on ? on.replace(/^public\./, '') : 'its table';
        return {
          message:
            `drops index ${i.name} without CONCURRENTLY: every read and write of ${table} waits for the lock, ` +
            `then for the rest of the migration`,
        };
      });
  },
};
