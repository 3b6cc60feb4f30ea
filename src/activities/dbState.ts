import { createHash } from 'node:crypto';
import pg from 'pg';

export interface TableState {
  /** schema.table */
  name: string;
  rows: number;
  /** md5 over the sorted md5 of every row: equal content gives an equal checksum, whatever the order. */
  checksum: string;
}

export interface MigrationRow {
  name: string;
  checksum: string;
  finished: boolean;
  rolledBack: boolean;
}

/** A fingerprint of a database: restoring a backup must reproduce it exactly. */
export interface DatabaseState {
  schemaSha256: string;
  tables: TableState[];
  migrations: MigrationRow[];
}

export const quoteIdent = (s: string) => '"' + s.replaceAll('"', '""') + '"';

/**
 * `pg_dump --schema-only` minus what differs between two dumps of the same schema:
 * comments, SET lines, blank lines and psql meta-commands (`\restrict <random key>`).
 */
export function normaliseSchemaDump(text: string): string {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('--') && !l.startsWith('SET ') && !l.startsWith('\\') && !l.startsWith('SELECT pg_catalog.set_config'))
    .join('\n');
}

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export async function listTables(client: pg.ClientBase): Promise<string[]> {
  const { rows } = await client.query<{ schema: string; table: string }>(
    `SELECT n.nspname AS schema, c.relname AS table
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
      ORDER BY 1, 2`,
  );
  return rows.map((r) => `${r.schema}.${r.table}`);
}

export async function tableState(client: pg.ClientBase, name: string): Promise<TableState> {
  const [schema, table] = name.split('.') as [string, string];
  const { rows } = await client.query<{ rows: string; checksum: string | null }>(
    `SELECT count(*) AS rows, md5(string_agg(h, '' ORDER BY h)) AS checksum
       FROM (SELECT md5(t::text) AS h FROM ${quoteIdent(schema)}.${quoteIdent(table)} t) s`,
  );
  return { name, rows: Number(rows[0]!.rows), checksum: rows[0]!.checksum ?? 'empty' };
}

export async function readMigrations(client: pg.ClientBase): Promise<MigrationRow[]> {
  const { rows: exists } = await client.query<{ t: string | null }>(`SELECT to_regclass('_prisma_migrations')::text AS t`);
  if (!exists[0]?.t) return [];
  const { rows } = await client.query<{ migration_name: string; checksum: string; finished: boolean; rolled_back: boolean }>(
    `SELECT migration_name, checksum, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back
       FROM _prisma_migrations ORDER BY started_at, migration_name`,
  );
  return rows.map((r) => ({ name: r.migration_name, checksum: r.checksum, finished: r.finished, rolledBack: r.rolled_back }));
}

/** Reads the state through `client` (inside a snapshot transaction when consistency with a dump matters). */
export async function captureState(client: pg.ClientBase, schemaDump: string, onTable?: (done: number, total: number) => void): Promise<DatabaseState> {
  const names = await listTables(client);
  const tables: TableState[] = [];
  for (const name of names) {
    tables.push(await tableState(client, name));
    onTable?.(tables.length, names.length);
  }
  return { schemaSha256: sha256(normaliseSchemaDump(schemaDump)), tables, migrations: await readMigrations(client) };
}

/** Human-readable differences between an expected and an actual state; empty when equal. */
export function diffStates(expected: DatabaseState, actual: DatabaseState): string[] {
  const diffs: string[] = [];
  if (expected.schemaSha256 !== actual.schemaSha256) diffs.push('schema differs');
  const byName = new Map(actual.tables.map((t) => [t.name, t]));
  for (const t of expected.tables) {
    const a = byName.get(t.name);
    if (!a) diffs.push(`table ${t.name} missing`);
    else if (a.rows !== t.rows) diffs.push(`table ${t.name}: ${a.rows} rows, expected ${t.rows}`);
    else if (a.checksum !== t.checksum) diffs.push(`table ${t.name}: content differs`);
    byName.delete(t.name);
  }
  for (const extra of byName.keys()) diffs.push(`table ${extra} should not exist`);
  const migrations = (ms: MigrationRow[]) => JSON.stringify(ms.map((m) => [m.name, m.checksum, m.finished, m.rolledBack]));
  if (migrations(expected.migrations) !== migrations(actual.migrations)) diffs.push('_prisma_migrations rows differ');
  return diffs;
}
