import type pg from 'pg';
import type { ReleaseManifest, TargetConfig } from '../config/schema.js';
import { countRows, listTables } from '../postgres/state.js';
import type { TableState } from '../shared/databaseState.js';
import { throwIfCancelled, type CheckResult } from './http.js';

/**
 * A check that records its time and turns an exception into a failed check — except the
 * activity's cancellation, which ends the activity at once as cancelled (not as a failed check).
 */
export async function timedCheck(
  name: string,
  kind: CheckResult['kind'],
  fn: () => Promise<[boolean, string]>,
): Promise<CheckResult> {
  const started = Date.now();
  try {
    const [ok, detail] = await fn();
    return { name, kind, ok, detail, durationMs: Date.now() - started };
  } catch (e) {
    throwIfCancelled();
    return { name, kind, ok: false, detail: (e as Error).message.slice(0, 300), durationMs: Date.now() - started };
  }
}

/** The tables and columns a release needs: the config's and the release manifest's. */
export function expectationsOf(t: Pick<TargetConfig, 'expect'>, manifest: Pick<ReleaseManifest, 'expect'>) {
  return {
    tables: [...new Set([...t.expect.tables, ...manifest.expect.tables])],
    columns: [...new Set([...t.expect.columns, ...manifest.expect.columns])],
  };
}

/**
 * Schema expectations (tables, `table.column`s) and data kept (every table still has at least as
 * many rows as before the deployment), checked through `c`: production, or a rehearsal's copy.
 */
export async function schemaAndDataChecks(
  c: pg.ClientBase,
  expect: { tables: string[]; columns: string[] },
  baseline: Pick<TableState, 'name' | 'rows'>[],
): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const table of expect.tables) {
    results.push(
      await timedCheck(`table ${table}`, 'schema', async () => {
        const { rows } = await c.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [
          `"${table.replaceAll('"', '""')}"`,
        ]);
        return [Boolean(rows[0]?.t), rows[0]?.t ? 'exists' : 'missing'];
      }),
    );
  }
  for (const qualified of expect.columns) {
    const [table, column] = qualified.split('.') as [string, string];
    results.push(
      await timedCheck(`column ${qualified}`, 'schema', async () => {
        const { rowCount } = await c.query(
          'SELECT 1 FROM information_schema.columns WHERE table_schema = ANY (current_schemas(false)) AND ' +
            'table_name = $1 AND column_name = $2',
          [table, column],
        );
        return [rowCount === 1, rowCount === 1 ? 'exists' : 'missing'];
      }),
    );
  }
  const live = new Set(await listTables(c));
  for (const before of baseline) {
    results.push(
      await timedCheck(`rows ${before.name}`, 'data', async () => {
        if (!live.has(before.name)) return [false, 'table is gone'];
        const now = await countRows(c, before.name);
        return [now >= before.rows, `${now} rows now, ${before.rows} before`];
      }),
    );
  }
  return results;
}
