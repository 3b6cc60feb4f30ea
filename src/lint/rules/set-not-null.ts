import { alterTableCommands } from '../ast.js';
import { liveTable } from '../databaseFacts.js';
import type { LintContext, Rule } from '../types.js';

export const setNotNull: Rule = {
  id: 'set-not-null',
  severity: 'risky',
  kinds: ['AlterTableStmt'],
  summary:
    'ALTER COLUMN … SET NOT NULL scans the table under an ACCESS EXCLUSIVE lock and fails if a NULL remains ' +
    '(unless a validated CHECK (col IS NOT NULL) proves it)',
  safer:
    'Add `CHECK (col IS NOT NULL) NOT VALID`, VALIDATE it in a later migration, then SET NOT NULL ' +
    '(PostgreSQL 12+ trusts the valid check and skips the scan) and drop the check.',
  check: (stmt, ctx) =>
    alterTableCommands(stmt.node)
      .filter(({ table, cmd }) => cmd.subtype === 'AT_SetNotNull' && !ctx.isNewTable(table))
      .flatMap(({ table, name, cmd }) => {
        const column = cmd.name ?? '';
        if (alreadyNotNull(ctx, table, column)) return [];
        const proven = ctx.schema.hasValidNotNullCheck(table, column) || hasLiveNotNullCheck(ctx, table, column);
        const major = ctx.database?.serverMajor;
        // PostgreSQL 11 and older scan the table whatever check proves it.
        if (proven && !(major !== undefined && major < 12)) return [];
        return [
          {
            message: proven
              ? `sets ${name}.${column} NOT NULL: the validated CHECK (${column} IS NOT NULL) would skip the ` +
                `scan from PostgreSQL 12 on, but this server is ${ctx.database!.serverVersion}: it scans the ` +
                `whole table while reads and writes wait`
              : `sets ${name}.${column} NOT NULL: PostgreSQL scans the whole table while reads and writes ` +
                `wait, and fails if any row holds NULL`,
            cost: { table, name, work: 'scan' as const, onlyLockTime: true },
          },
        ];
      }),
};

/**
 * NOT NULL already: PostgreSQL does nothing. The migrations' own
 * view first (they may have dropped it), then the live catalog's.
 */
function alreadyNotNull(ctx: LintContext, table: string, column: string): boolean {
  const seen = ctx.schema.column(table, column);
  if (seen) return seen.notNull;
  return liveTable(ctx.database, table)?.notNull.includes(column) ?? false;
}

/** A validated CHECK (column IS NOT NULL) in the live database that this migration has not dropped. */
function hasLiveNotNullCheck(ctx: LintContext, table: string, column: string): boolean {
  const checks = liveTable(ctx.database, table)?.notNullChecks ?? [];
  return checks.some(
    (c) => c.column === column && !ctx.droppedConstraints.some((d) => d.table === table && d.name === c.name),
  );
}
