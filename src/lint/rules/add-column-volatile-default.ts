import { addedColumn, alterTableCommands, calledFunctions, columnConstraints, columnType } from '../ast.js';
import type { Rule } from '../types.js';

/** Built-in and common-extension functions marked VOLATILE: a default calling one is computed per row. */
const VOLATILE = new Set([
  'random', 'random_normal', 'setseed', 'gen_random_uuid', 'uuidv4', 'uuidv7', 'uuid_generate_v1',
  'uuid_generate_v1mc', 'uuid_generate_v4', 'gen_random_bytes', 'clock_timestamp', 'timeofday',
  'nextval', 'txid_current', 'pg_current_xact_id',
]);
const SERIAL = new Set(['serial', 'serial2', 'serial4', 'serial8', 'smallserial', 'bigserial']);

export const addColumnVolatileDefault: Rule = {
  id: 'add-column-volatile-default',
  severity: 'risky',
  summary: 'ADD COLUMN with a volatile default (gen_random_uuid(), clock_timestamp(), serial, identity, stored generated) rewrites the table under an ACCESS EXCLUSIVE lock',
  safer: 'Add the column without a default (or with a constant one), then `ALTER COLUMN … SET DEFAULT …` for new rows, and backfill the existing rows in batches.',
  check: (stmt, ctx) =>
    alterTableCommands(stmt.node).flatMap(({ table, name, cmd }) => {
      const col = addedColumn(cmd);
      if (!col || ctx.isNewTable(table)) return [];
      const column = `${name}.${col.colname ?? ''}`;
      const why = rewriteReason(col);
      return why ? [{ message: `adds ${column} with ${why}: PostgreSQL computes it for every existing row, rewriting the whole table while reads and writes wait` }] : [];
    }),
};

function rewriteReason(col: Parameters<typeof columnConstraints>[0]): string | undefined {
  if (SERIAL.has(columnType(col))) return `type ${columnType(col)} (a nextval() default)`;
  for (const c of columnConstraints(col)) {
    if (c.contype === 'CONSTR_IDENTITY') return 'GENERATED … AS IDENTITY';
    if (c.contype === 'CONSTR_GENERATED') return 'a stored generated expression';
    if (c.contype === 'CONSTR_DEFAULT') {
      const fn = calledFunctions(c.raw_expr).find((f) => VOLATILE.has(f));
      if (fn) return `the volatile default ${fn}()`;
    }
  }
  return undefined;
}
