import { get, nameOf } from '../ast.js';
import type { Rule } from '../types.js';

export const renameEnumValue: Rule = {
  id: 'rename-enum-value',
  severity: 'risky',
  kinds: ['AlterEnumStmt'],
  summary: 'ALTER TYPE … RENAME VALUE breaks the previous release, which still reads and writes the old value',
  safer:
    'Add the new value (ALTER TYPE … ADD VALUE), release code that reads both and writes the new one, move ' +
    'the rows over in batches, and stop using the old value; it may stay in the type.',
  check: (stmt, ctx) => {
    const alter = get(stmt.node, 'AlterEnumStmt');
    if (alter?.oldVal === undefined || !alter.newVal) return [];
    const type = nameOf(alter.typeName);
    if (ctx.isNewType(type.key)) return [];
    return [
      {
        message:
          `renames value '${alter.oldVal}' of enum ${type.name} to '${alter.newVal}': every row holding it ` +
          `changes at once, and the previous release, running during the deploy and the rollback target, ` +
          `fails writing '${alter.oldVal}' and does not know '${alter.newVal}'`,
      },
    ];
  },
};
