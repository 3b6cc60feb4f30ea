import {
  addedColumn,
  alterTableCommands,
  calledFunctions,
  columnConstraints,
  columnType,
  get,
  SERIAL_TYPES,
} from '../ast.js';
import { functionVolatility, type DatabaseFacts } from '../databaseFacts.js';
import { NON_VOLATILE_FUNCTIONS } from '../builtinFunctions.js';
import type { Rule } from '../types.js';

/** A function known never to be VOLATILE: pg_catalog's (unqualified or `pg_catalog.`), by the list from pg_proc. */
const knownNonVolatile = (fn: string) =>
  NON_VOLATILE_FUNCTIONS.has(fn.startsWith('pg_catalog.') ? fn.slice('pg_catalog.'.length) : fn);

export const addColumnVolatileDefault: Rule = {
  id: 'add-column-volatile-default',
  severity: 'risky',
  kinds: ['AlterTableStmt'],
  summary:
    'ADD COLUMN with a volatile (or unknown) function as default, or serial, identity, stored generated, ' +
    'rewrites the table under an ACCESS EXCLUSIVE lock',
  safer:
    'Add the column without a default (or with a constant one), then `ALTER COLUMN … SET DEFAULT …` for new ' +
    'rows, and backfill the existing rows in batches.',
  check: (stmt, ctx) =>
    alterTableCommands(stmt.node).flatMap(({ table, name, cmd }) => {
      const col = addedColumn(cmd);
      if (!col || ctx.isNewTable(table)) return [];
      const column = `${name}.${col.colname ?? ''}`;
      const why = rewriteReason(col, ctx.database);
      return why
        ? [
            {
              message:
                `adds ${column} with ${why}: PostgreSQL computes it for every existing row, rewriting the ` +
                `whole table while reads and writes wait`,
              cost: { table, name, work: 'rewrite' as const, onlyLockTime: true },
            },
          ]
        : [];
    }),
};

function rewriteReason(
  col: Parameters<typeof columnConstraints>[0],
  database: DatabaseFacts | undefined,
): string | undefined {
  if (SERIAL_TYPES.has(columnType(col))) return `type ${columnType(col)} (a nextval() default)`;
  for (const c of columnConstraints(col)) {
    if (c.contype === 'CONSTR_IDENTITY') return 'GENERATED … AS IDENTITY';
    if (c.contype === 'CONSTR_GENERATED') return 'a stored generated expression';
    if (c.contype === 'CONSTR_DEFAULT') {
      // Before PostgreSQL 11 every default but NULL is written into every row.
      if (database && database.serverMajor < 11 && !get(c.raw_expr, 'A_Const')?.isnull)
        return `a default, which PostgreSQL ${database.serverVersion} (before 11) writes into every row`;
      // pg_catalog's functions are known; an extension's or the app's own only from the live catalog (pg_proc).
      for (const fn of calledFunctions(c.raw_expr)) {
        if (knownNonVolatile(fn)) continue;
        const volatility = functionVolatility(database, fn);
        if (volatility === 'volatile') return `the default ${fn}(), VOLATILE in the live database's pg_proc`;
        if (volatility) continue; // stable or immutable: computed once, stored as the default
        return database
          ? `the default ${fn}(), which the live database's pg_proc does not list (created in the same ` +
              `deployment, or on another search path): volatile as far as the lint knows`
          : `the default ${fn}(), volatile as far as the lint knows (it knows PostgreSQL's own stable and ` +
              `immutable functions; give it the database with --database-url-env to ask pg_proc)`;
      }
    }
  }
  return undefined;
}
