import type pg from 'pg';
import type { DataNeeds, RelationRef } from '../lint/dataNeeds.js';
import { quoteIdent } from './state.js';

/**
 * The rows a rehearsal copy needs: every table's schema, but only the rows the pending migrations
 * can depend on (src/lint/dataNeeds.ts reads those from the statements), widened here with what the
 * catalog knows — an index's table, a partitioned table's partitions, the tables a copied table's
 * foreign keys reference (the restore validates them), the foreign-key neighbours of every table
 * whose rows are written, and `_prisma_migrations` (the copy's Prisma must see what is applied).
 * Anything the statements could reach without naming it (a view, a trigger or rule on a
 * written table, a function that is not PostgreSQL's own) means every row: `fullBecause` says why.
 */
export interface RehearsalScope {
  /** Tables whose rows are copied, `schema.table`. */
  withRows: string[];
  /** pg_dump `--exclude-table-data` patterns: every other table's rows are left out. */
  excludeRows: string[];
  /** Why every row is copied; absent when only `withRows` are. */
  fullBecause?: string;
}

interface Relation {
  oid: number;
  schema: string;
  name: string;
  kind: string;
}

const SYSTEM_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp)'`;

/** `"schema"."table"` as a pg_dump pattern: inside double quotes nothing is a wildcard, `""` is one quote. */
export function exactPattern(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** `[from, to]` pairs as a map from each `from` to its `to`s. */
function adjacency(pairs: Iterable<readonly [number, number]>): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const [from, to] of pairs) out.set(from, [...(out.get(from) ?? []), to]);
  return out;
}

const display = (r: Relation) => `${r.schema}.${r.name}`;

/** Reads the catalog (read only) and decides which tables' rows the rehearsal copy gets. */
export async function rehearsalScope(c: pg.ClientBase, needs: DataNeeds): Promise<RehearsalScope> {
  const every = (fullBecause: string): RehearsalScope => ({
    withRows: [],
    excludeRows: [],
    fullBecause,
  });
  if (needs.opaque) return every(needs.opaque);
  await c.query('BEGIN READ ONLY');
  try {
    const { rows: relations } = await c.query<Relation>(
      `SELECT c.oid::int AS oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS kind
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'i', 'I') AND ${SYSTEM_SCHEMAS}`,
    );
    const foreign = await c.query<{ child: number; parent: number }>(
      `SELECT conrelid::int AS child, confrelid::int AS parent FROM pg_constraint WHERE contype = 'f'`,
    );
    const inherits = await c.query<{ child: number; parent: number }>(
      `SELECT inhrelid::int AS child, inhparent::int AS parent FROM pg_inherits`,
    );
    const indexes = await c.query<{ index: number; table: number }>(
      `SELECT indexrelid::int AS index, indrelid::int AS table FROM pg_index`,
    );
    const reached = await c.query<{ oid: number; what: string }>(
      `SELECT tgrelid::int AS oid, 'trigger ' || tgname AS what FROM pg_trigger WHERE NOT tgisinternal
       UNION ALL
       SELECT ev_class::int, 'rule ' || rulename FROM pg_rewrite WHERE rulename <> '_RETURN'`,
    );
    const functions = needs.functions.length
      ? (
          await c.query<{ name: string; schema: string }>(
            `SELECT p.proname AS name, n.nspname AS schema FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE p.proname = ANY ($1)`,
            [needs.functions.map((f) => f.slice(f.lastIndexOf('.') + 1))],
          )
        ).rows
      : [];

    for (const f of needs.functions) {
      const dot = f.lastIndexOf('.');
      const [schema, name] = dot < 0 ? [undefined, f] : [f.slice(0, dot), f.slice(dot + 1)];
      const found = functions.filter((p) => p.name === name);
      const builtIn =
        found.some((p) => p.schema === 'pg_catalog') &&
        (schema === 'pg_catalog' || (schema === undefined && found.every((p) => p.schema === 'pg_catalog')));
      if (!builtIn) return every(`it calls ${f}(), which is not PostgreSQL's own and may read any table`);
    }

    const byOid = new Map(relations.map((r) => [r.oid, r]));
    const matching = (ref: RelationRef) =>
      relations.filter((r) => r.name === ref.name && (ref.schema === undefined || r.schema === ref.schema));
    const tableOf = new Map(indexes.rows.map((i) => [i.index, i.table]));
    const tables = (refs: readonly RelationRef[]): Relation[] | string => {
      const out: Relation[] = [];
      for (const ref of refs) {
        for (const r of matching(ref)) {
          if (r.kind === 'v' || r.kind === 'm' || r.kind === 'f') {
            const what = r.kind === 'v' ? 'view' : r.kind === 'm' ? 'materialized view' : 'foreign table';
            return `it names the ${what} ${display(r)}, whose rows come from other tables`;
          }
          const table = r.kind === 'i' || r.kind === 'I' ? byOid.get(tableOf.get(r.oid) ?? -1) : r;
          if (table) out.push(table);
        }
      }
      return out;
    };
    const named = tables(needs.named);
    if (typeof named === 'string') return every(named);
    const written = tables(needs.modified);
    if (typeof written === 'string') return every(written);

    // Rows written reach their foreign-key neighbours (checks, cascades), transitively.
    const neighbours = adjacency(
      foreign.rows.flatMap(({ child, parent }) => [[child, parent] as const, [parent, child] as const]),
    );
    const closure = (start: Iterable<number>, next: (oid: number) => number[]) => {
      const seen = new Set(start);
      const queue = [...seen];
      for (let oid = queue.pop(); oid !== undefined; oid = queue.pop()) {
        for (const n of next(oid)) if (!seen.has(n)) (seen.add(n), queue.push(n));
      }
      return seen;
    };
    const touchedByWrites = closure(
      written.map((r) => r.oid),
      (oid) => neighbours.get(oid) ?? [],
    );
    for (const { oid, what } of reached.rows) {
      if (touchedByWrites.has(oid)) {
        return every(`rows written reach ${display(byOid.get(oid)!)}, whose ${what} may touch any table`);
      }
    }
    // A partitioned or inherited table's rows live in its children; a table's rows need the rows
    // they reference (pg_restore validates its foreign keys against them), transitively.
    const children = adjacency(inherits.rows.map(({ child, parent }) => [parent, child] as const));
    const referenced = adjacency(foreign.rows.map(({ child, parent }) => [child, parent] as const));
    const needed = closure(
      [
        ...named.map((r) => r.oid),
        ...touchedByWrites,
        ...relations.filter((r) => r.name === '_prisma_migrations').map((r) => r.oid),
      ],
      (oid) => [...(children.get(oid) ?? []), ...(referenced.get(oid) ?? [])],
    );
    const withRows = relations.filter((r) => needed.has(r.oid) && (r.kind === 'r' || r.kind === 'p'));
    const rest = relations.filter((r) => !needed.has(r.oid) && (r.kind === 'r' || r.kind === 'p' || r.kind === 'm'));
    return {
      withRows: withRows.map(display).sort(),
      excludeRows: rest.map((r) => exactPattern(r.schema, r.name)),
    };
  } finally {
    await c.query('COMMIT');
  }
}
