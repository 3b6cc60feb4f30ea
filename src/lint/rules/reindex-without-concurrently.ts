import { get, isConcurrentOption, tableKey, tableName } from '../ast.js';
import { liveIndex } from '../databaseFacts.js';
import type { Rule } from '../types.js';

const LOCKS: Record<string, string> = {
  REINDEX_OBJECT_INDEX: 'writes to its table wait (and reads that would use the index)',
  REINDEX_OBJECT_TABLE: 'writes to the table wait',
  REINDEX_OBJECT_SCHEMA: 'writes to every table of the schema wait, one table after another',
  REINDEX_OBJECT_DATABASE: 'writes to every table wait, one table after another',
  REINDEX_OBJECT_SYSTEM: 'writes to the system catalogs wait',
};

export const reindexWithoutConcurrently: Rule = {
  id: 'reindex-without-concurrently',
  severity: 'risky',
  kinds: ['ReindexStmt'],
  summary: 'REINDEX without CONCURRENTLY blocks writes to the table (and reads through the index) while it rebuilds',
  safer:
    'REINDEX (CONCURRENTLY) … alone in a migration of its own (PostgreSQL 12+), or better, outside ' +
    'migrations: rebuilding an index changes no schema.',
  check: (stmt, ctx) => {
    const reindex = get(stmt.node, 'ReindexStmt');
    if (!reindex || isConcurrentOption(reindex.params)) return [];
    const kind = reindex.kind ?? '';
    if (kind === 'REINDEX_OBJECT_TABLE' && ctx.isNewTable(tableKey(reindex.relation))) return [];
    if (kind === 'REINDEX_OBJECT_INDEX' && ctx.isNewIndex(tableKey(reindex.relation))) return [];
    const what = reindex.relation ? tableName(reindex.relation) : (reindex.name ?? '');
    // The table whose size the rebuild takes time for: the live catalog knows an index's table.
    const key = tableKey(reindex.relation);
    const table =
      kind === 'REINDEX_OBJECT_TABLE'
        ? key
        : kind === 'REINDEX_OBJECT_INDEX'
          ? liveIndex(ctx.database, key)?.table
          : undefined;
    return [
      {
        message:
          `rebuilds ${kind.slice('REINDEX_OBJECT_'.length).toLowerCase()} ${what} without CONCURRENTLY: ` +
          `${LOCKS[kind] ?? 'writes wait'} until it is done`,
        ...(table
          ? {
              cost: {
                table,
                name: kind === 'REINDEX_OBJECT_TABLE' ? what : `the table of ${what} (${table})`,
                work: 'index' as const,
                onlyLockTime: true,
              },
            }
          : {}),
      },
    ];
  },
};
