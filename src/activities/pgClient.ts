import { join } from 'node:path';
import pg from 'pg';
import { databaseUrl, type DbTarget } from '../commands/pg.js';

/** A connected client that is always closed, whatever `fn` does. */
export async function withClient<T>(db: DbTarget, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl(db), application_name: 'safe-deploy', connectionTimeoutMillis: 10_000 });
  client.on('error', () => { /* a terminated session surfaces on the next query */ });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export const pgTool = (binDir: string | undefined, tool: string) => (binDir ? join(binDir, tool) : tool);
