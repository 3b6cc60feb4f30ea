import { strongLockTargets } from '../ast.js';
import type { Rule } from '../types.js';

export const missingLockTimeout: Rule = {
  id: 'missing-lock-timeout',
  severity: 'notice',
  summary: 'A statement takes a strong lock on an existing table with no lock_timeout set (notice: raises nothing)',
  safer:
    "Start the migration with `SET lock_timeout = '5s';` so a blocked statement fails fast (the deploy " +
    'rolls back and can be retried) instead of stalling the app; or set it for the migration role.',
  oncePerMigration: true,
  check: (stmt, ctx) => {
    if (ctx.lockTimeoutSet) return [];
    const table = strongLockTargets(stmt.node).find((t) => !ctx.isNewTable(t));
    return table === undefined
      ? []
      : [
          {
            message:
              `takes a strong lock on ${table.replace(/^public\./, '')} with no lock_timeout set: if a long ` +
              `query holds the table, this statement waits, and every query on the table queues behind it`,
          },
        ];
  },
};
