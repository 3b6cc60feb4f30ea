import { addedColumn, alterTableCommands, columnConstraints, columnType, SERIAL_TYPES } from '../ast.js';
import type { Rule } from '../types.js';

export const addColumnNotNullWithoutDefault: Rule = {
  id: 'add-column-not-null-without-default',
  severity: 'risky',
  kinds: ['AlterTableStmt'],
  summary: 'ADD COLUMN … NOT NULL without a DEFAULT fails as soon as the table has a row',
  safer:
    'Add the column with a constant DEFAULT (PostgreSQL 11+ adds it without rewriting the table); or add it ' +
    'nullable, backfill, and set NOT NULL safely (see set-not-null).',
  check: (stmt, ctx) =>
    alterTableCommands(stmt.node).flatMap(({ table, name, cmd }) => {
      const col = addedColumn(cmd);
      if (!col || ctx.isNewTable(table) || SERIAL_TYPES.has(columnType(col))) return [];
      const cons = columnConstraints(col);
      const notNull =
        col.is_not_null || cons.some((c) => c.contype === 'CONSTR_NOTNULL' || c.contype === 'CONSTR_PRIMARY');
      const filled =
        col.raw_default !== undefined ||
        cons.some(
          (c) => c.contype === 'CONSTR_DEFAULT' || c.contype === 'CONSTR_IDENTITY' || c.contype === 'CONSTR_GENERATED',
        );
      return notNull && !filled
        ? [
            {
              // Fails on any row, and the previous release's INSERTs fail whatever the size: the rows only inform.
              cost: { table, name, work: 'rows' as const, onlyLockTime: false },
              message:
                `adds NOT NULL column ${name}.${col.colname ?? ''} without a default: PostgreSQL rejects it ` +
                `if ${name} has any row, and the previous release's INSERTs would fail too`,
            },
          ]
        : [];
    }),
};
