/**
 * Fingerprints of the farm-chat database for the end-state check, on top of safe-deploy's own
 * (captureState: normalised `pg_dump --schema-only`, rows and content checksum per table,
 * `_prisma_migrations`): a baseline with each table's columns, and a look at the database with
 * given rows taken out, inside a transaction that is rolled back.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { captureState, quoteIdent } from '../../src/postgres/state.js';
import type { DatabaseState } from '../../src/shared/databaseState.js';
import { parseDatabaseUrl, pgDumpSchema } from '../../src/commands/pg.js';
import { run } from '../../src/exec/run.js';
import type { FarmChatProduction } from '../lib/farmChat.js';
import type { SmokeRows } from './smokeRows.js';

export type { DatabaseState };

export interface Baseline {
  state: DatabaseState;
  /** Each table's columns before the deployment: a deployment may add columns, never change these. */
  columns: Record<string, string[]>;
  /** Checksum per table over those columns. */
  projected: Record<string, string>;
  appPid: number;
}

export const schemaDump = async (url: string, pgBinDir: string) =>
  (await run(pgDumpSchema(join(pgBinDir, 'pg_dump'), parseDatabaseUrl(url)))).stdout;

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

export async function databaseState(url: string, pgBinDir: string): Promise<DatabaseState> {
  const dump = await schemaDump(url, pgBinDir);
  return withClient(url, (c) => captureState(c, dump));
}

async function tableColumns(c: pg.ClientBase, table: string): Promise<string[]> {
  const [schema, name] = table.split('.') as [string, string];
  const { rows } = await c.query<{ column_name: string }>(
    'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
    [schema, name],
  );
  return rows.map((r) => r.column_name);
}

/** md5 over the sorted md5 of each row's listed columns (captureState's checksum, restricted to columns). */
export async function projectedChecksum(c: pg.ClientBase, table: string, columns: string[]): Promise<string> {
  const [schema, name] = table.split('.') as [string, string];
  const { rows } = await c.query<{ checksum: string | null; n: string }>(
    `SELECT count(*) AS n, md5(string_agg(h, '' ORDER BY h)) AS checksum
       FROM (SELECT md5(ROW(${columns.map(quoteIdent).join(', ')})::text) AS h FROM ${quoteIdent(schema)}.${quoteIdent(name)}) s`,
  );
  return `${rows[0]!.n}:${rows[0]!.checksum ?? 'empty'}`;
}

export async function captureBaseline(prod: FarmChatProduction, pgBinDir: string): Promise<Baseline> {
  const dump = await schemaDump(prod.databaseUrl, pgBinDir);
  return withClient(prod.databaseUrl, async (c) => {
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const state = await captureState(c, dump);
    const columns: Record<string, string[]> = {};
    const projected: Record<string, string> = {};
    for (const t of state.tables) {
      columns[t.name] = await tableColumns(c, t.name);
      projected[t.name] = await projectedChecksum(c, t.name, columns[t.name]!);
    }
    await c.query('COMMIT');
    return { state, columns, projected, appPid: appPid(prod) ?? 0 };
  });
}

/**
 * Runs `fn` on the database with the given smoke rows (and anything `extraDeletes` names) taken
 * out inside a transaction that is rolled back: nothing is changed. Reports what it took out.
 */
export async function withoutRows<T>(
  url: string,
  smoke: SmokeRows,
  extraDeletes: [sql: string, params: unknown[]][],
  fn: (c: pg.Client) => Promise<T>,
): Promise<{ result: T; users: string[]; messages: number; messagesWithOtherBodies: number }> {
  return withClient(url, async (c) => {
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    try {
      const users = (
        await c.query<{ id: number; email: string }>('SELECT id, email FROM users WHERE email = ANY($1)', [
          smoke.emails,
        ])
      ).rows;
      const ids = users.map((u) => u.id);
      const m = (
        await c.query<{ all: string; expected: string }>(
          `SELECT count(*) AS all, count(*) FILTER (WHERE body = ANY($2)) AS expected FROM messages WHERE "userId" = ANY($1)`,
          [ids, smoke.bodies],
        )
      ).rows[0]!;
      await c.query('DELETE FROM messages WHERE "userId" = ANY($1)', [ids]);
      await c.query('DELETE FROM users WHERE id = ANY($1)', [ids]);
      for (const [sql, params] of extraDeletes) await c.query(sql, params);
      const result = await fn(c);
      return {
        result,
        users: users.map((u) => u.email),
        messages: Number(m.expected),
        messagesWithOtherBodies: Number(m.all) - Number(m.expected),
      };
    } finally {
      await c.query('ROLLBACK');
    }
  });
}

/** The app's pid, from appctl's pid file. */
export function appPid(prod: FarmChatProduction): number | undefined {
  const file = join(prod.runDir, 'app.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : undefined;
}
