import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { TableState, MigrationRow, DatabaseState } from '../shared/databaseState.js';

export const quoteIdent = (s: string) => '"' + s.replaceAll('"', '""') + '"';

/**
 * `pg_dump --schema-only` minus what differs between two dumps of the same schema:
 * comments, SET lines, blank lines and psql meta-commands (`\restrict <random key>`).
 */
export function normaliseSchemaDump(text: string): string {
  return text
    .split('\n')
    .filter(
      (l) =>
        l.trim() !== '' &&
        !l.startsWith('--') &&
        !l.startsWith('SET ') &&
        !l.startsWith('\\') &&
        !l.startsWith('SELECT pg_catalog.set_config'),
    )
    .join('\n');
}

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export async function listTables(client: pg.ClientBase): Promise<string[]> {
  const { rows } = await client.query<{ schema: string; table: string }>(
    `SELECT n.nspname AS schema, c.relname AS table
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND ` +
      `n.nspname NOT LIKE 'pg\\_%'
      ORDER BY 1, 2`,
  );
  return rows.map((r) => `${r.schema}.${r.table}`);
}

const qualified = (name: string) => name.split('.').map(quoteIdent).join('.');

/** Rows and checksum of one table. */
export async function tableState(client: pg.ClientBase, name: string): Promise<TableState> {
  const { rows } = await client.query<{ rows: string; checksum: string | null }>(
    `SELECT count(*) AS rows, sum(hashtextextended(t::text, 0)::numeric)::text AS checksum FROM ${qualified(name)} t`,
  );
  return { name, rows: Number(rows[0]!.rows), checksum: rows[0]!.checksum ?? 'empty' };
}

/** What a table held, column by column: the content of the columns that existed when it was read. */
export interface ColumnsState {
  /** schema.table */
  name: string;
  rows: number;
  /** Sum of a 64-bit hash of each row's tuple of `columns` (order-independent, as TableState.checksum). */
  rowsChecksum: string;
  /** The same per column, of each value's text (NULL hashed as itself). */
  columns: Record<string, string>;
}

/** Every user table's columns, in order: schema.table → column names. */
export async function listColumns(client: pg.ClientBase): Promise<Map<string, string[]>> {
  const { rows } = await client.query<{ table: string; column: string }>(
    `SELECT n.nspname || '.' || c.relname AS table, a.attname AS column
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid ` +
      `= c.oid
      WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND ` +
      `n.nspname NOT LIKE 'pg\\_%'
        AND a.attnum > 0 AND NOT a.attisdropped
      ORDER BY 1, a.attnum`,
  );
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.table, [...(out.get(r.table) ?? []), r.column]);
  return out;
}

/**
 * The content of `columns` of one table in one scan: a checksum of the rows restricted to those
 * columns, and one per column. Read before and after a migration on the rehearsal copy, it tells
 * whether the migration changed any value that existed before it (an UPDATE, a DELETE, a type
 * change with USING, a trigger…), column by column.
 */
export async function columnsState(
  client: pg.ClientBase,
  name: string,
  columns: readonly string[],
  o: { unchangedSince?: string } = {},
): Promise<ColumnsState> {
  const col = (c: string) => `t.${quoteIdent(c)}`;
  const hash = (expr: string) => `coalesce(sum(hashtextextended(${expr}, 0)::numeric), 0)::text`;
  const tuple = columns.length > 0 ? `ROW(${columns.map(col).join(', ')})::text` : `''`;
  const perColumn = columns.map((c, i) => `${hash(`coalesce(${col(c)}::text, E'\\\\N')`)} AS c${i}`);
  // `unchangedSince`: only the rows no transaction after that one wrote (their xmin is older).
  const where = o.unchangedSince ? ` WHERE age(t.xmin) >= age(($1::bigint % 4294967296)::text::xid)` : '';
  const { rows } = await client.query<Record<string, string>>(
    `SELECT count(*)::text AS rows, ${hash(tuple)} AS ` +
      `tuple${perColumn.length ? `, ${perColumn.join(', ')}` : ''} FROM ${qualified(name)} t${where}`,
    o.unchangedSince ? [o.unchangedSince] : [],
  );
  const r = rows[0]!;
  return {
    name,
    rows: Number(r.rows),
    rowsChecksum: r.tuple!,
    columns: Object.fromEntries(columns.map((c, i) => [c, r[`c${i}`]!])),
  };
}

/** Every user table's columns state (the columns it has now, or those of `like`, the state before). */
export async function captureColumns(
  client: pg.ClientBase,
  like?: readonly ColumnsState[],
  o: { unchangedSince?: string; onTable?: (done: number, total: number) => void } = {},
): Promise<ColumnsState[]> {
  const now = await listColumns(client);
  const wanted = like
    ? like.map((t) => ({ name: t.name, columns: Object.keys(t.columns) }))
    : [...now].map(([name, columns]) => ({ name, columns }));
  const out: ColumnsState[] = [];
  for (const t of wanted) {
    const present = now.get(t.name);
    if (present)
      out.push(
        await columnsState(
          client,
          t.name,
          t.columns.filter((c) => present.includes(c)),
          { unchangedSince: o.unchangedSince },
        ),
      );
    o.onTable?.(out.length, wanted.length);
  }
  return out;
}

export interface ExistingDataChange {
  table: string;
  /**
   * What happened to the data that existed: the table is gone,
   * columns are gone or their values changed, rows went or came.
   */
  what: string;
  /** The columns (that existed before) whose values changed or that are gone. */
  columns: string[];
}

/**
 * What a migration did to the data that existed before it, from the columns states before and
 * after: nothing (an empty list) when every table and column that existed holds the same values
 * — also when rows were only added (an INSERT): `untouched`, the rows no transaction of the
 * migration wrote, are then exactly the rows there were.
 */
export function existingDataChanges(
  before: readonly ColumnsState[],
  after: readonly ColumnsState[],
  untouched: readonly ColumnsState[] = [],
): ExistingDataChange[] {
  const byName = new Map(after.map((t) => [t.name, t]));
  const oldRows = new Map(untouched.map((t) => [t.name, t]));
  const changes: ExistingDataChange[] = [];
  for (const b of before) {
    const a = byName.get(b.name);
    // Rows only added: the rows no later transaction wrote are exactly the rows there were.
    const o = oldRows.get(b.name);
    if (
      a &&
      o &&
      o.rows === b.rows &&
      o.rowsChecksum === b.rowsChecksum &&
      Object.keys(b.columns).every((c) => c in a.columns)
    )
      continue;
    if (!a) {
      changes.push({ table: b.name, what: `the table is gone (${b.rows} rows)`, columns: Object.keys(b.columns) });
      continue;
    }
    const gone = Object.keys(b.columns).filter((c) => !(c in a.columns));
    const changed = Object.keys(b.columns).filter((c) => c in a.columns && a.columns[c] !== b.columns[c]);
    const parts = [
      gone.length > 0 && `columns gone: ${gone.join(', ')}`,
      changed.length > 0 && `values changed in ${changed.join(', ')}`,
      a.rows < b.rows && `${b.rows - a.rows} rows gone`,
      // Same rows and columns, each column the same multiset, yet the rows differ: values moved between rows.
      gone.length === 0 &&
        changed.length === 0 &&
        a.rows === b.rows &&
        a.rowsChecksum !== b.rowsChecksum &&
        'values moved between rows',
    ].filter((x): x is string => Boolean(x));
    if (parts.length > 0) changes.push({ table: b.name, what: parts.join('; '), columns: [...gone, ...changed] });
  }
  return changes;
}

/** The condition "this row version was written before `boundary`" (a 64-bit xid, as pg_snapshot_xmin gives it). */
export const writtenBefore = (param: string) => `age(t.xmin) > age((${param}::bigint % 4294967296)::text::xid)`;

/**
 * Rows of `name` that no transaction since `boundary` wrote: as they were in the backup, value for
 * value. A row updated or deleted since has a newer version or none.
 */
export async function rowsUntouchedSince(client: pg.ClientBase, name: string, boundary: string): Promise<number> {
  const { rows } = await client.query<{ rows: string }>(
    `SELECT count(*)::text AS rows FROM ${qualified(name)} t WHERE ${writtenBefore('$1')}`,
    [boundary],
  );
  return Number(rows[0]!.rows);
}

/**
 * The tables of a copy (or a backup) some of whose rows are no longer the versions it was made
 * with: `written` of its `rows` changed or deleted since `boundary`. Empty: every row is as made.
 */
export async function tablesWrittenSince(
  client: pg.ClientBase,
  tables: readonly Pick<TableState, 'name' | 'rows'>[],
  boundary: string,
): Promise<{ name: string; rows: number; written: number }[]> {
  const out: { name: string; rows: number; written: number }[] = [];
  for (const { name, rows } of tables) {
    const written = rows - (await rowsUntouchedSince(client, name, boundary));
    if (written !== 0) out.push({ name, rows, written });
  }
  return out;
}

/** Rows of one table, without reading their content (an index-only scan when the table is vacuumed). */
export async function countRows(client: pg.ClientBase, name: string): Promise<number> {
  const { rows } = await client.query<{ rows: string }>(`SELECT count(*) AS rows FROM ${qualified(name)}`);
  return Number(rows[0]!.rows);
}

export async function readMigrations(client: pg.ClientBase): Promise<MigrationRow[]> {
  const { rows: exists } = await client.query<{ t: string | null }>(
    `SELECT to_regclass('_prisma_migrations')::text AS t`,
  );
  if (!exists[0]?.t) return [];
  const { rows } = await client.query<{
    migration_name: string;
    checksum: string;
    finished: boolean;
    rolled_back: boolean;
  }>(
    `SELECT migration_name, checksum, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back
       FROM _prisma_migrations ORDER BY started_at, migration_name`,
  );
  return rows.map((r) => ({
    name: r.migration_name,
    checksum: r.checksum,
    finished: r.finished,
    rolledBack: r.rolled_back,
  }));
}

/**
 * Reads the state through `client` (inside a snapshot transaction when consistency with a dump
 * matters). `checksums: false` gives a quick state: schema, row counts and migrations, which is
 * what a database that cannot have changed (a sealed snapshot) or that obviously changed needs.
 */
export async function captureState(
  client: pg.ClientBase,
  schemaDump: string,
  o: { checksums?: boolean; onTable?: (done: number, total: number) => void } = {},
): Promise<DatabaseState> {
  const names = await listTables(client);
  const tables: TableState[] = [];
  for (const name of names) {
    tables.push(o.checksums === false ? { name, rows: await countRows(client, name) } : await tableState(client, name));
    o.onTable?.(tables.length, names.length);
  }
  return { schemaSha256: sha256(normaliseSchemaDump(schemaDump)), tables, migrations: await readMigrations(client) };
}

/**
 * Human-readable differences between an expected and an actual state;
 * empty when equal. Contents are compared where both sides have checksums.
 */
export function diffStates(expected: DatabaseState, actual: DatabaseState): string[] {
  const diffs: string[] = [];
  if (expected.schemaSha256 !== actual.schemaSha256) diffs.push('schema differs');
  const byName = new Map(actual.tables.map((t) => [t.name, t]));
  for (const t of expected.tables) {
    const a = byName.get(t.name);
    if (!a) diffs.push(`table ${t.name} missing`);
    else if (a.rows !== t.rows) diffs.push(`table ${t.name}: ${a.rows} rows, expected ${t.rows}`);
    else if (a.checksum !== undefined && t.checksum !== undefined && a.checksum !== t.checksum)
      diffs.push(`table ${t.name}: content differs`);
    byName.delete(t.name);
  }
  for (const extra of byName.keys()) diffs.push(`table ${extra} should not exist`);
  const migrations = (ms: MigrationRow[]) =>
    JSON.stringify(ms.map((m) => [m.name, m.checksum, m.finished, m.rolledBack]));
  if (migrations(expected.migrations) !== migrations(actual.migrations)) diffs.push('_prisma_migrations rows differ');
  return diffs;
}
