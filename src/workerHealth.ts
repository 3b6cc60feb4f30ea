#!/usr/bin/env node
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { optionalTsToMs } from '@temporalio/common';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { DEFAULT_TASK_QUEUE } from './shared/constants.js';

/** A worker long-polls about once a minute; a poller older than this has stopped. */
export const POLLER_MAX_AGE_MS = 2 * 60_000;

export interface Poller {
  identity?: string | null;
  lastAccessMs?: number;
}

/**
 * True when a worker on `host` polled the queue recently. The SDK's default identity is
 * `<pid>@<hostname>`, and a container's health check runs on the worker's own hostname, so this
 * asks about *this* container's worker, not any worker on the queue.
 */
export function isPolling(
  pollers: readonly Poller[],
  host: string,
  nowMs: number,
  maxAgeMs = POLLER_MAX_AGE_MS,
): boolean {
  return pollers.some(
    (p) =>
      (p.identity ?? '').endsWith(`@${host}`) && p.lastAccessMs !== undefined && nowMs - p.lastAccessMs <= maxAgeMs,
  );
}

/** The workflow task queue's recent pollers, as Temporal reports them. */
export async function taskQueuePollers(
  connection: Connection,
  namespace: string,
  taskQueue: string,
): Promise<Poller[]> {
  // Kind and type left unspecified mean a normal queue's workflow pollers: those every worker has.
  const res = await connection.workflowService.describeTaskQueue({ namespace, taskQueue: { name: taskQueue } });
  return (res.pollers ?? []).map((p) => ({ identity: p.identity, lastAccessMs: optionalTsToMs(p.lastAccessTime) }));
}

/** `node dist/src/workerHealth.js`: the compose health check; exit 0 when this host's worker polls its queue. */
async function main(): Promise<number> {
  const { connectionOptions, namespace } = loadClientConnectConfig();
  const taskQueue = process.env.SAFE_DEPLOY_TASK_QUEUE ?? DEFAULT_TASK_QUEUE;
  const connection = await Connection.connect({ ...connectionOptions, connectTimeout: 5_000 });
  try {
    const pollers = await taskQueuePollers(connection, namespace ?? 'default', taskQueue);
    if (isPolling(pollers, hostname(), Date.now())) return 0;
    console.error(
      `no worker on ${hostname()} polls task queue ${taskQueue} (pollers: ` +
        `${pollers.map((p) => p.identity).join(', ') || 'none'})`,
    );
    return 1;
  } finally {
    await connection.close();
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(`health check failed: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}
