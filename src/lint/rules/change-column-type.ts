import type { ColumnDef } from 'libpg-query';
import { alterTableCommands, get, typeRef, typeText, type TypeRef } from '../ast.js';
import type { Rule } from '../types.js';

export const changeColumnType: Rule = {
  id: 'change-column-type',
  severity: 'risky',
  kinds: ['AlterTableStmt'],
  summary:
    'ALTER COLUMN … TYPE rewrites the table under an ACCESS EXCLUSIVE lock and can fail on existing values ' +
    '(unless it only widens: varchar(n) to text or a longer varchar, numeric precision, timestamp ' +
    'precision, cidr to inet)',
  safer:
    'Add a new column of the new type, write both from the app, backfill in batches, move reads to it, and ' +
    'drop the old column in a later release.',
  check: (stmt, ctx) =>
    alterTableCommands(stmt.node)
      .filter(({ table, cmd }) => cmd.subtype === 'AT_AlterColumnType' && !ctx.isNewTable(table))
      .flatMap(({ table, name, cmd }) => {
        const def = get(cmd.def, 'ColumnDef');
        const to = typeRef(def?.typeName);
        const from = ctx.schema.column(table, cmd.name ?? '')?.type;
        const column = `${name}.${cmd.name ?? ''}`;
        if (from && def && rewriteFree(from, to, def)) return [];
        return [
          {
            // Also about the values and the previous release: stays risky on a small table.
            cost: { table, name, work: 'rewrite' as const, onlyLockTime: false },
            message: from
              ? `changes ${column} from ${typeText(from)} to ${typeText(to)}: PostgreSQL rewrites the table ` +
                `and its indexes while reads and writes wait, the cast fails on values it cannot convert, and ` +
                `the previous release still expects ${typeText(from)}`
              : `changes the type of ${column}: unless the change only widens (the lint did not see the ` +
                `column made, so cannot tell) PostgreSQL rewrites the table and its indexes while reads and ` +
                `writes wait, the cast fails on values it cannot convert, and the previous release still ` +
                `expects the old type`,
          },
        ];
      }),
};

const BUILTIN = (t: TypeRef) => t.schema === undefined || t.schema === 'pg_catalog';
/**
 * Types whose only modifier is a length or precision that PostgreSQL
 * can widen without a rewrite (varchar_support, timestamp_support, …).
 */
const WIDENABLE = new Set(['varchar', 'varbit', 'timestamp', 'timestamptz', 'time', 'timetz']);

/**
 * PostgreSQL changes the type without rewriting the table (nor, for these, its indexes) when the
 * old type is binary-coercible to the new one, or only its length or precision grows — and no
 * USING or COLLATE changes the values. Also what the previous release reads stays valid.
 */
export function rewriteFree(from: TypeRef, to: TypeRef, def: ColumnDef): boolean {
  if (def.raw_default !== undefined || def.collClause !== undefined) return false; // USING …, COLLATE …
  if (!BUILTIN(from) || !BUILTIN(to) || from.array !== to.array || !from.mods || !to.mods) return false;
  if (from.name !== to.name) {
    if (from.name === 'varchar' && to.name === 'text') return true;
    if (from.name === 'text' && to.name === 'varchar') return to.mods.length === 0;
    return from.name === 'cidr' && to.name === 'inet';
  }
  if (from.mods.join() === to.mods.join()) return true; // the same type again
  if (to.mods.length === 0) return WIDENABLE.has(to.name) || to.name === 'numeric'; // the limit removed
  if (from.mods.length === 0) return false; // a limit added: every value is checked (and may be cut)
  if (to.name === 'numeric') {
    const [p, s = 0] = from.mods;
    const [p2, s2 = 0] = to.mods;
    return p2! >= p! && s2 === s; // more digits before the point, same scale
  }
  return WIDENABLE.has(to.name) && to.mods[0]! >= from.mods[0]!;
}
