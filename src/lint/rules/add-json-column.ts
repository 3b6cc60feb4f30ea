import { addedColumn, alterTableCommands, typeRef } from '../ast.js';
import type { Rule } from '../types.js';

export const addJsonColumn: Rule = {
  id: 'add-json-column',
  severity: 'risky',
  kinds: ['AlterTableStmt'],
  summary:
    "ADD COLUMN of type json (not jsonb) to an existing table breaks the previous release's SELECT " +
    'DISTINCT, UNION and GROUP BY over its rows: json has no equality operator',
  safer: 'Use jsonb (Prisma: `Json` maps to jsonb on PostgreSQL; drop a `@db.Json`).',
  check: (stmt, ctx) =>
    alterTableCommands(stmt.node).flatMap(({ table, name, cmd }) => {
      const col = addedColumn(cmd);
      const type = col ? typeRef(col.typeName) : undefined;
      if (
        !col ||
        type?.name !== 'json' ||
        (type.schema !== undefined && type.schema !== 'pg_catalog') ||
        ctx.isNewTable(table)
      )
        return [];
      return [
        {
          message:
            `adds ${name}.${col.colname ?? ''} of type json${type.array ? '[]' : ''}: json has no equality ` +
            `operator, so an existing SELECT DISTINCT * (or UNION, GROUP BY) over ${name} fails with "could ` +
            `not identify an equality operator for type json"`,
        },
      ];
    }),
};
