import { get, nameOf, qualify, tableKey } from '../ast.js';
import type { Node } from 'libpg-query';
import type { LintContext, Rule } from '../types.js';

export const enumValueRemoval: Rule = {
  id: 'enum-value-removal',
  severity: 'risky',
  kinds: ['CreateEnumStmt', 'RenameStmt', 'DeleteStmt'],
  summary:
    "Removing an enum value (Prisma's rename, recreate, convert; or deleting from pg_enum) fails on rows " +
    'that hold it and breaks the previous release',
  safer:
    "Stop writing the value in one release, move existing rows off it (UPDATE … WHERE col = 'old', in " +
    'batches), and remove it in a later release; or simply keep the unused value.',
  check: (stmt, ctx) => {
    // PostgreSQL cannot drop an enum value. Prisma replaces the type instead: it creates the new
    // one (`Role_new`, or `Role` after renaming the old one aside), converts the columns, renames
    // the old type aside and the new one into place, and drops the old one.
    const replaced = replacedType(stmt.node, ctx);
    if (replaced) {
      return [
        {
          message:
            `replaces enum ${replaced} with a new type, which removes (or reorders) values: converting the ` +
            `columns fails if a row holds a removed value, rewrites those tables while reads and writes wait, ` +
            `and the previous release may still write the removed value`,
        },
      ];
    }
    const del = get(stmt.node, 'DeleteStmt');
    const target = del ? tableKey(del.relation) : '';
    return target === 'public.pg_enum' || target === 'pg_catalog.pg_enum'
      ? [{ message: 'deletes enum values from the catalog directly: rows still holding them can no longer be read' }]
      : [];
  },
};

/** The enum name a statement puts a new type under, when the type of that name was renamed aside earlier. */
function replacedType(node: Node, ctx: LintContext): string | undefined {
  const created = get(node, 'CreateEnumStmt');
  if (created) {
    const type = nameOf(created.typeName);
    return ctx.isRenamedType(type.key) ? type.name : undefined;
  }
  const rename = get(node, 'RenameStmt');
  if (rename?.renameType !== 'OBJECT_TYPE' || !rename.newname) return undefined;
  const from = nameOf(get(rename.object, 'List')?.items);
  const to = qualify(from.key.slice(0, from.key.indexOf('.')), rename.newname);
  return ctx.isNewType(from.key) && ctx.isRenamedType(to) ? rename.newname : undefined;
}
