import pg from 'pg';
import { inject } from 'vitest';

/** One query as the test cluster's superuser, in `database` (default `postgres`), on a connection of its own. */
export async function asSuperuser<R extends pg.QueryResultRow = pg.QueryResultRow>(
  sql: string,
  params: unknown[] = [],
  database = 'postgres',
): Promise<R[]> {
  const c = new pg.Client({ connectionString: inject('pg').superuserUrl.replace(/\/postgres$/, `/${database}`) });
  await c.connect();
  try {
    return (await c.query<R>(sql, params)).rows;
  } finally {
    await c.end();
  }
}
