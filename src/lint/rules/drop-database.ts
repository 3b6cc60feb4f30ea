import { get } from '../ast.js';
import type { Rule } from '../types.js';

export const dropDatabase: Rule = {
  id: 'drop-database',
  severity: 'destructive',
  kinds: ['DropdbStmt'],
  summary: 'DROP DATABASE deletes a whole database',
  safer:
    'Never drop a database in a migration: if one really must go, dump it and drop it by hand, after ' +
    'checking nothing connects to it.',
  check: (stmt) => {
    const drop = get(stmt.node, 'DropdbStmt');
    return drop
      ? [{ message: `drops database ${drop.dbname ?? ''} and everything in it; only a backup brings it back` }]
      : [];
  },
};
