import { join } from 'node:path';
import pg from 'pg';
import { parse } from 'pg-connection-string';
import { databaseUrl, type DbTarget } from '../commands/pg.js';

/** A connected client that is always closed, whatever `fn` does. */
export async function withClient<T>(db: DbTarget, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  // The URL carries the TLS settings; the database name is given as itself (the URL's parser
  // decodes it with decodeURI, which would leave `;`, `=`, `/` percent-encoded).
  const client = new pg.Client({ ...parse(databaseUrl(db)), database: db.database, application_name: 'safe-deploy', connectionTimeoutMillis: 10_000 } as pg.ClientConfig);
  client.on('error', () => { /* a terminated session surfaces on the next query */ });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export const pgTool = (binDir: string | undefined, tool: string) => (binDir ? join(binDir, tool) : tool);
