import { get, stringConstants } from '../ast.js';
import type { Rule } from '../types.js';

export const enumValueUsedInTransaction: Rule = {
  id: 'enum-value-used-in-transaction',
  severity: 'error',
  summary:
    'A value added with ALTER TYPE … ADD VALUE is used in the same transaction (the same migration): ' +
    'PostgreSQL rejects it, "unsafe use of new value"',
  safer:
    'Add the enum value in one migration, and use it (as a default, in an UPDATE, an index predicate) in a ' +
    'later one: a new value can be used only once its transaction has committed.',
  check: (stmt, ctx) => {
    const added = ctx.enumValuesAddedInTransaction;
    if (added.size === 0 || get(stmt.node, 'AlterEnumStmt')) return [];
    const used = [...new Set(stringConstants(stmt.node))].filter((s) => added.has(s));
    return used.map((value) => ({
      message:
        `uses '${value}', added to enum ${added.get(value) ?? ''} earlier in the same transaction: PostgreSQL ` +
        `refuses a new enum value before the transaction that added it commits ("unsafe use of new value"), ` +
        `and the deploy fails here`,
    }));
  },
};
