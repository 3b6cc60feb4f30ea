import type { DatabaseFacts, LiveTable, Volatility } from './databaseFacts.js';

// Reads the live database's catalog into the plain DatabaseFacts the rules consult. Read-only (one
// READ ONLY transaction on the caller's connection), bounded (short statement and lock timeouts),
// and only about what the migrations may name: a table, index or function is read only when every
// word of its name appears in their text, so a catalog of many thousand tables costs one list of
// names. pg_total_relation_size opens each table read shortly with ACCESS SHARE: it waits at most
// the lock timeout behind a migration that holds ACCESS EXCLUSIVE, then the read fails as a whole.

/** What the reader needs from a connection: `pg`'s Client and PoolClient both fit. */
export interface CatalogClient {
  query<R extends object>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
}

export interface ReadLimits {
  statementTimeoutMs: number;
  lockTimeoutMs: number;
}

export const DEFAULT_READ_LIMITS: ReadLimits = { statementTimeoutMs: 10_000, lockTimeoutMs: 2_000 };

/** The schemas PostgreSQL keeps for itself. */
const USER_SCHEMAS = `n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_)'`;
/** A never-analyzed table up to this size is counted (a few ms); a bigger one keeps an unknown row count. */
const MAX_COUNTED_BYTES = 1024 * 1024;
const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;
/** More than this many user relations or functions: the rest are unknown to the lint (it then assumes the worst). */
const MAX_NAMES = 200_000;

const words = (text: string) => text.toLowerCase().match(/[\p{L}\p{N}_$]+/gu) ?? [];

/** True when `name` may appear in the SQL: every word of it does (a superset of the names it really uses). */
export function mentionedIn(sql: readonly string[]): (name: string) => boolean {
  const seen = new Set<string>();
  for (const text of sql) for (const w of words(text)) seen.add(w);
  return (name) => words(name).every((w) => seen.has(w));
}

const VOLATILITY: Record<string, Volatility> = { i: 'immutable', s: 'stable', v: 'volatile' };
const RANK: Record<Volatility, number> = { immutable: 0, stable: 1, volatile: 2 };

export async function readDatabaseFacts(
  client: CatalogClient,
  mentioned: (name: string) => boolean,
  limits: ReadLimits = DEFAULT_READ_LIMITS,
): Promise<DatabaseFacts> {
  await client.query('BEGIN READ ONLY');
  try {
    await client.query(`SET LOCAL statement_timeout = ${Math.round(limits.statementTimeoutMs)}`);
    await client.query(`SET LOCAL lock_timeout = ${Math.round(limits.lockTimeoutMs)}`);
    const facts = await read(client, mentioned);
    await client.query('COMMIT');
    return facts;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

async function read(client: CatalogClient, mentioned: (name: string) => boolean): Promise<DatabaseFacts> {
  const [server] = (
    await client.query<{ version: string; num: string }>(
      `SELECT current_setting('server_version') AS version, current_setting('server_version_num') AS num`,
    )
  ).rows;
  const serverMajor = Math.floor(Number(server!.num) / 10000);
  const serverVersion = server!.version.split(' ')[0]!;

  const { rows: relations } = await client.query<{ oid: number; schema: string; name: string; kind: string }>(
    `SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relkind AS kind
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'm', 'i', 'I') AND ${USER_SCHEMAS}
      LIMIT ${MAX_NAMES}`,
  );
  const keyOf = new Map(relations.map((r) => [Number(r.oid), `${r.schema}.${r.name}`]));
  const tableOids = new Set(
    relations.filter((r) => r.kind !== 'i' && r.kind !== 'I' && mentioned(r.name)).map((r) => Number(r.oid)),
  );
  const indexOids = relations
    .filter((r) => (r.kind === 'i' || r.kind === 'I') && mentioned(r.name))
    .map((r) => Number(r.oid));

  const indexes: DatabaseFacts['indexes'] = Object.create(null) as DatabaseFacts['indexes'];
  const { rows: indexRows } = await client.query<{ oid: number; table: number; unique: boolean; valid: boolean }>(
    `SELECT indexrelid AS oid, indrelid AS "table", indisunique AS unique, indisvalid AS valid
       FROM pg_index WHERE indexrelid = ANY($1::oid[]) OR indrelid = ANY($2::oid[])`,
    [indexOids, [...tableOids]],
  );
  for (const i of indexRows) {
    const key = keyOf.get(Number(i.oid));
    const table = keyOf.get(Number(i.table));
    if (!key || !table) continue;
    indexes[key] = { table, unique: i.unique, valid: i.valid };
    tableOids.add(Number(i.table)); // REINDEX INDEX costs its table's size
  }

  const tables: DatabaseFacts['tables'] = Object.create(null) as DatabaseFacts['tables'];
  const oids = [...tableOids];
  const partitions = serverMajor >= 12; // pg_partition_tree: PostgreSQL 12+
  const sum = (size: string) =>
    partitions
      ? `CASE WHEN c.relkind = 'p' THEN (SELECT coalesce(sum(${size}(t.relid)), 0) FROM ` +
        `pg_partition_tree(c.oid) t) ELSE ${size}(c.oid) END`
      : `${size}(c.oid)`;
  const rowsOf = partitions
    ? `CASE WHEN c.relkind = 'p' THEN (SELECT CASE WHEN bool_or(p.reltuples < 0) THEN -1 ELSE ` +
      `coalesce(sum(p.reltuples), 0) END
         FROM pg_partition_tree(c.oid) t JOIN pg_class p ON p.oid = t.relid WHERE t.isleaf) ELSE ` +
      `c.reltuples END`
    : 'c.reltuples';
  const { rows: sizes } = await client.query<{ oid: number; rows: number; bytes: string; heap: string }>(
    `SELECT c.oid, (${rowsOf})::float8 AS rows, ${sum('pg_total_relation_size')} AS bytes, ` +
      `${sum('pg_relation_size')} AS heap
       FROM pg_class c WHERE c.oid = ANY($1::oid[])`,
    [oids],
  );
  for (const s of sizes) {
    const heapBytes = Number(s.heap);
    // Never analyzed: -1 from PostgreSQL 14 on; 0 before it, which an empty heap alone makes certain.
    const estimated = s.rows >= 0 && (serverMajor >= 14 || s.rows > 0 || heapBytes === 0);
    const rows: LiveTable['rows'] = heapBytes === 0 ? 0 : estimated ? Math.round(s.rows) : null;
    tables[keyOf.get(Number(s.oid))!] = {
      rows,
      bytes: Number(s.bytes),
      heapBytes,
      notNull: [],
      notNullChecks: [],
      validConstraints: [],
    };
  }
  // A small table never analyzed (autovacuum analyzes after 50 changes): counted, reading at most its few pages.
  for (const r of relations) {
    const t = Object.hasOwn(tables, `${r.schema}.${r.name}`) ? tables[`${r.schema}.${r.name}`] : undefined;
    if (!t || t.rows !== null || t.heapBytes > MAX_COUNTED_BYTES || r.kind === 'p') continue;
    const { rows: counted } = await client.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${quoteIdent(r.schema)}.${quoteIdent(r.name)}`,
    );
    t.rows = counted[0]!.n;
    t.rowsCounted = true;
  }

  const table = (oid: number) => tables[keyOf.get(Number(oid)) ?? ''];

  const { rows: notNull } = await client.query<{ table: number; column: string }>(
    `SELECT attrelid AS "table", attname AS "column" FROM pg_attribute
      WHERE attrelid = ANY($1::oid[]) AND attnum > 0 AND NOT attisdropped AND attnotnull`,
    [oids],
  );
  for (const a of notNull) table(a.table)?.notNull.push(a.column);

  // A CHECK (col IS NOT NULL) deparses as `(col IS NOT NULL)`, the column quoted as quote_ident quotes it.
  const { rows: constraints } = await client.query<{ table: number; name: string; notNullOf: string | null }>(
    `SELECT c.conrelid AS "table", c.conname AS name,
            CASE WHEN c.contype = 'c' AND cardinality(c.conkey) = 1
                  AND pg_get_expr(c.conbin, c.conrelid) = '(' || quote_ident(a.attname) || ' IS NOT NULL)'
                 THEN a.attname END AS "notNullOf"
       FROM pg_constraint c LEFT JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
      WHERE c.conrelid = ANY($1::oid[]) AND c.convalidated`,
    [oids],
  );
  for (const c of constraints) {
    const t = table(c.table);
    if (!t) continue;
    t.validConstraints.push(c.name);
    if (c.notNullOf !== null) t.notNullChecks.push({ name: c.name, column: c.notNullOf });
  }

  const functions: DatabaseFacts['functions'] = Object.create(null) as DatabaseFacts['functions'];
  const { rows: procs } = await client.query<{ schema: string; name: string; volatility: string; visible: boolean }>(
    `SELECT n.nspname AS schema, p.proname AS name, p.provolatile AS volatility, ` +
      `pg_function_is_visible(p.oid) AS visible
       FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
      WHERE ${USER_SCHEMAS}
      LIMIT ${MAX_NAMES}`,
  );
  const note = (key: string, v: Volatility) => {
    const had = Object.hasOwn(functions, key) ? functions[key] : undefined;
    if (!had || RANK[v] > RANK[had]) functions[key] = v; // overloads: the most volatile one counts
  };
  for (const p of procs) {
    if (!mentioned(p.name)) continue;
    const v = VOLATILITY[p.volatility] ?? 'volatile';
    note(`${p.schema}.${p.name}`.toLowerCase(), v);
    if (p.visible) note(p.name.toLowerCase(), v);
  }
  return { serverVersion, serverMajor, tables, indexes, functions };
}
