import { alterTableCommands, get, tableName } from '../ast.js';
import type { Rule } from '../types.js';

export const detachPartitionWithoutConcurrently: Rule = {
  id: 'detach-partition-without-concurrently',
  severity: 'risky',
  kinds: ['AlterTableStmt'],
  summary: 'DETACH PARTITION without CONCURRENTLY takes an ACCESS EXCLUSIVE lock on the partitioned table',
  safer:
    'ALTER TABLE … DETACH PARTITION … CONCURRENTLY (PostgreSQL 14+), alone in a migration of its own; it ' +
    'only takes SHARE UPDATE EXCLUSIVE.',
  check: (stmt, ctx) =>
    alterTableCommands(stmt.node)
      .filter(
        ({ table, cmd }) =>
          cmd.subtype === 'AT_DetachPartition' && !get(cmd.def, 'PartitionCmd')?.concurrent && !ctx.isNewTable(table),
      )
      .map(({ name, cmd }) => ({
        message:
          `detaches partition ${tableName(get(cmd.def, 'PartitionCmd')?.name)} from ${name} without ` +
          `CONCURRENTLY: every read and write of ${name} waits for the lock, then for the rest of the ` +
          `migration`,
      })),
};
