import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { NativeConnection, type Worker, type WorkerInterceptors } from '@temporalio/worker';
import { inject } from 'vitest';
import { createFarmChatProduction, stopFarmChat, type FarmChatProduction } from '../../scripts/lib/farmChat.js';
import { writeFarmChatWorkerConfig } from '../../scripts/lib/farmChatConfig.js';
import { freePort } from '../../scripts/lib/ports.js';
import { createWorker } from '../../src/worker.js';
import type { Scenario } from './scenario.js';

/**
 * Two hosts on this machine for one farm-chat scenario: web-1 is the scenario's production,
 * web-2 a clone of its own with its app on its own port over the same database. Each host has a
 * worker on its own task queue, with its own config. The scenario's config names both hosts
 * (`hosts.config`), so it is made before the scenario; `start` adds web-2 and the workers after.
 */
export interface TwoHosts {
  /** web-1's and web-2's task queues. */
  queues: readonly [string, string];
  /** The `hosts` entry of the scenario's config. */
  config: { name: string; taskQueue: string }[];
  /** web-2's production (once started). */
  web2: FarmChatProduction;
  /**
   * web-2's production (already migrated and seeded: it shares web-1's database) and both hosts'
   * workers. `overrides` go into web-2's config as into web-1's; `web1Interceptors` wrap web-1's
   * worker, which runs the database steps.
   */
  start(s: Scenario, o: { overrides: Record<string, unknown>; web1Interceptors?: WorkerInterceptors }): Promise<void>;
  close(): Promise<void>;
}

export function twoHosts(name: string): TwoHosts {
  const id = randomUUID().slice(0, 8);
  const queues = [`${name}-web-1-${id}`, `${name}-web-2-${id}`] as const;
  let connection: NativeConnection | undefined;
  let web2: FarmChatProduction | undefined;
  const workers: { worker: Worker; running: Promise<void> }[] = [];
  return {
    queues,
    config: [
      { name: 'web-1', taskQueue: queues[0] },
      { name: 'web-2', taskQueue: queues[1] },
    ],
    get web2() {
      if (!web2) throw new Error('twoHosts: start() first');
      return web2;
    },
    async start(s, o) {
      web2 = await createFarmChatProduction({
        origin: s.origin,
        rootDir: join(s.root, 'web-2'),
        databaseUrl: s.databaseUrl,
        port: await freePort(),
        seed: false,
      });
      const web2Config = join(s.root, 'web-2.config.json');
      writeFarmChatWorkerConfig(web2Config, web2, {
        backupDir: join(s.root, 'web-2-backups'),
        pgBinDir: inject('pg').binDir,
        environment: s.environment,
        overrides: o.overrides,
      });
      connection = await NativeConnection.connect({ address: inject('temporalAddress') });
      for (const [taskQueue, configPath, interceptors] of [
        [queues[0], s.configPath, o.web1Interceptors],
        [queues[1], web2Config, undefined],
      ] as const) {
        const worker = await createWorker({
          connection,
          taskQueue,
          configPath,
          workflowBundle: { codePath: inject('workflowBundlePath') },
          ...(interceptors ? { interceptors } : {}),
        });
        workers.push({ worker, running: worker.run() });
      }
    },
    async close() {
      for (const w of workers) w.worker.shutdown();
      await Promise.all(workers.map((w) => w.running.catch(() => undefined)));
      await connection?.close();
      if (web2) await stopFarmChat(web2).catch(() => undefined);
    },
  };
}

/** Activity type → the task queues it was scheduled on, in order, from the real history. */
export async function queuesByActivity(handle: WorkflowHandle): Promise<[string, string][]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const a = e.activityTaskScheduledEventAttributes;
    return a?.activityType?.name ? [[a.activityType.name, a.taskQueue?.name ?? ''] as [string, string]] : [];
  });
}
