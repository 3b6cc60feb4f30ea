import { alterTableCommands, get, isConcurrentOption } from '../ast.js';
import type { Rule } from '../types.js';
import type { Node } from 'libpg-query';

export const concurrentlyInTransaction: Rule = {
  id: 'concurrently-in-transaction',
  severity: 'error',
  kinds: ['IndexStmt', 'DropStmt', 'ReindexStmt', 'AlterTableStmt'],
  summary:
    'CREATE/DROP/REINDEX … CONCURRENTLY beside other statements fails: Prisma runs the migration as one transaction',
  safer: 'Put the CONCURRENTLY statement alone in a migration of its own: no other statement, not even SET.',
  check: (stmt, ctx) => {
    const what = concurrentOperation(stmt.node);
    if (!what || ctx.statementCount === 1) return [];
    return [
      {
        message:
          `${what} cannot run inside a transaction block, and PostgreSQL runs this ` +
          `${ctx.statementCount}-statement migration, sent as one query as Prisma does, in one implicit ` +
          `transaction: the deploy fails here`,
      },
    ];
  },
};

function concurrentOperation(node: Node): string | undefined {
  if (get(node, 'IndexStmt')?.concurrent) return 'CREATE INDEX CONCURRENTLY';
  const drop = get(node, 'DropStmt');
  if (drop?.concurrent) return 'DROP INDEX CONCURRENTLY';
  if (isConcurrentOption(get(node, 'ReindexStmt')?.params)) return 'REINDEX CONCURRENTLY';
  const detach = alterTableCommands(node).some(
    ({ cmd }) => cmd.subtype === 'AT_DetachPartition' && get(cmd.def, 'PartitionCmd')?.concurrent,
  );
  return detach ? 'DETACH PARTITION CONCURRENTLY' : undefined;
}
