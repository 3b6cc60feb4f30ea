import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { DEFAULT_TASK_QUEUE } from '../shared/constants.js';

export interface GlobalOptions {
  address?: string;
  namespace?: string;
  profile?: string;
  taskQueue: string;
  json?: boolean;
}

export const DEFAULT_GLOBALS: GlobalOptions = { taskQueue: DEFAULT_TASK_QUEUE };

/**
 * Connects the Temporal way: temporal.toml profile, then TEMPORAL_* env vars (address, namespace,
 * API key, TLS), then explicit flags. Works unchanged against a dev server or Temporal Cloud.
 */
export async function connectClient(o: Pick<GlobalOptions, 'address' | 'namespace' | 'profile'>): Promise<{ client: Client; close: () => Promise<void> }> {
  const config = loadClientConnectConfig({ profile: o.profile });
  const connection = await Connection.connect({ ...config.connectionOptions, ...(o.address ? { address: o.address } : {}) });
  const client = new Client({ connection, namespace: o.namespace ?? config.namespace ?? 'default' });
  return { client, close: () => connection.close() };
}

/** Prints machine-readable JSON or human lines, never both. */
export function output(json: boolean | undefined) {
  return {
    line: (text: string) => { if (!json) console.log(text); },
    json: (value: unknown) => { if (json) console.log(JSON.stringify(value, null, 2)); },
  };
}
