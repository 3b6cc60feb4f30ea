import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createWorker } from '../src/worker.js';
import { isPolling, POLLER_MAX_AGE_MS, taskQueuePollers } from '../src/workerHealth.js';

describe('isPolling', () => {
  const now = 1_000_000_000;
  it.each([
    ['a fresh poller on this host', [{ identity: '7@box', lastAccessMs: now - 1_000 }], true],
    ['a poller on another host', [{ identity: '7@other', lastAccessMs: now }], false],
    ['a host whose name ends like ours', [{ identity: '7@bigbox', lastAccessMs: now }], false],
    ['a poller gone quiet', [{ identity: '7@box', lastAccessMs: now - POLLER_MAX_AGE_MS - 1 }], false],
    ['no access time', [{ identity: '7@box' }], false],
    ['no pollers', [], false],
  ])('%s → %s', (_what, pollers, expected) => {
    expect(isPolling(pollers, 'box', now)).toBe(expected);
  });
});

/** Runs the compiled health check (`npm test` builds first) the way compose does; resolves to its exit code. */
async function healthCheckExit(taskQueue: string): Promise<number> {
  const script = fileURLToPath(new URL('../dist/src/workerHealth.js', import.meta.url));
  const env = {
    PATH: process.env.PATH,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    SAFE_DEPLOY_TASK_QUEUE: taskQueue,
  };
  try {
    await promisify(execFile)(process.execPath, [script], { env, timeout: 20_000 });
    return 0;
  } catch (e) {
    return (e as { code?: number }).code ?? -1;
  }
}

describe('worker health against a real Temporal server', () => {
  let native: NativeConnection;
  let connection: Connection;
  beforeAll(async () => {
    native = await NativeConnection.connect({ address: inject('temporalAddress') });
    connection = await Connection.connect({ address: inject('temporalAddress') });
  });
  afterAll(async () => {
    await native?.close();
    await connection?.close();
  });

  it("is healthy while this host's worker polls its queue, and not before", async () => {
    const taskQueue = `health-${randomUUID()}`;
    expect(isPolling(await taskQueuePollers(connection, 'default', taskQueue), hostname(), Date.now())).toBe(false);
    expect(await healthCheckExit(taskQueue)).toBe(1);
    const worker = await createWorker({
      connection: native,
      taskQueue,
      configPath: '/nonexistent/config.json',
      workflowBundle: { codePath: inject('workflowBundlePath') },
    });
    await worker.runUntil(async () => {
      let pollers = await taskQueuePollers(connection, 'default', taskQueue);
      for (let i = 0; i < 50 && !isPolling(pollers, hostname(), Date.now()); i++) {
        await new Promise((r) => setTimeout(r, 100));
        pollers = await taskQueuePollers(connection, 'default', taskQueue);
      }
      expect(isPolling(pollers, hostname(), Date.now())).toBe(true);
      expect(isPolling(pollers, `not-${hostname()}`, Date.now())).toBe(false);
      expect(await healthCheckExit(taskQueue)).toBe(0);
    });
  });
});
