import { get, nameOf, tableKey, tableName } from '../ast.js';
import type { Rule } from '../types.js';

const OBJECT: Record<string, string> = {
  OBJECT_TABLE: 'table',
  OBJECT_VIEW: 'view',
  OBJECT_MATVIEW: 'materialized view',
  OBJECT_SEQUENCE: 'sequence',
  OBJECT_FOREIGN_TABLE: 'foreign table',
  OBJECT_TYPE: 'type',
  OBJECT_DOMAIN: 'domain',
  OBJECT_FUNCTION: 'function',
  OBJECT_PROCEDURE: 'procedure',
};

export const setSchema: Rule = {
  id: 'set-schema',
  severity: 'risky',
  kinds: ['AlterObjectSchemaStmt'],
  summary: 'ALTER … SET SCHEMA moves a table, type or function: the previous release still names it in its old schema',
  safer:
    'Keep the object where it is; or move it and leave a view (for a table) under the old name until no ' +
    'release uses it.',
  check: (stmt, ctx) => {
    const move = get(stmt.node, 'AlterObjectSchemaStmt');
    const kind = OBJECT[move?.objectType ?? ''];
    if (!move || !kind) return [];
    const relation = move.relation;
    const name = relation
      ? tableName(relation)
      : nameOf(get(move.object, 'List')?.items ?? get(move.object, 'ObjectWithArgs')?.objname).name;
    if (relation ? ctx.isNewTable(tableKey(relation)) : ctx.isNewType(nameOf(get(move.object, 'List')?.items).key))
      return [];
    return [
      {
        message:
          `moves ${kind} ${name} to schema ${move.newschema ?? ''}: queries of the previous release (running ` +
          `during the deploy, and the rollback target) that name ` +
          `it${relation || kind === 'type' ? ' (Prisma qualifies its tables and enums with the schema)' : ''} ` +
          `no longer find it`,
      },
    ];
  },
};
