import type { Node } from 'libpg-query';
import { get } from '../ast.js';
import type { Rule } from '../types.js';

export const cannotRunInTransaction: Rule = {
  id: 'cannot-run-in-transaction',
  severity: 'error',
  kinds: [
    'VacuumStmt',
    'CreatedbStmt',
    'DropdbStmt',
    'AlterSystemStmt',
    'CreateTableSpaceStmt',
    'DropTableSpaceStmt',
    'ReindexStmt',
    'ClusterStmt',
  ],
  summary:
    'VACUUM, CREATE/DROP DATABASE, REINDEX SCHEMA/DATABASE/SYSTEM, ALTER SYSTEM, tablespaces beside other ' +
    'statements fail: Prisma runs the migration as one transaction',
  safer:
    'Leave maintenance (VACUUM, REINDEX of a whole schema) and cluster-wide commands out of migrations; run ' +
    'them by hand or in a job. If one must be a migration, put it alone in a migration of its own.',
  check: (stmt, ctx) => {
    const what = outsideTransactionOnly(stmt.node);
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

/**
 * Statements PostgreSQL refuses inside a transaction block
 * (PreventInTransactionBlock), CONCURRENTLY aside (concurrently-in-transaction).
 */
function outsideTransactionOnly(node: Node): string | undefined {
  const vacuum = get(node, 'VacuumStmt');
  if (vacuum?.is_vacuumcmd) return 'VACUUM';
  if (get(node, 'CreatedbStmt')) return 'CREATE DATABASE';
  if (get(node, 'DropdbStmt')) return 'DROP DATABASE';
  if (get(node, 'AlterSystemStmt')) return 'ALTER SYSTEM';
  if (get(node, 'CreateTableSpaceStmt')) return 'CREATE TABLESPACE';
  if (get(node, 'DropTableSpaceStmt')) return 'DROP TABLESPACE';
  const reindex = get(node, 'ReindexStmt')?.kind;
  if (
    reindex === 'REINDEX_OBJECT_SCHEMA' ||
    reindex === 'REINDEX_OBJECT_DATABASE' ||
    reindex === 'REINDEX_OBJECT_SYSTEM'
  )
    return `REINDEX ${reindex.slice('REINDEX_OBJECT_'.length)}`;
  const cluster = get(node, 'ClusterStmt');
  if (cluster && !cluster.relation) return 'CLUSTER of every table';
  return undefined;
}
