import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { devServerArgs } from '../../src/cli/server.js';
import { waitUntil } from './ports.js';

/** Search attributes safe-deploy sets (defined with their keys); registered when the dev server starts. */
export { SEARCH_ATTRIBUTES } from '../../src/shared/searchAttributes.js';

export interface DevServer {
  address: string;
  uiUrl?: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * `temporal server start-dev`, persisted in `dbFile`, on 127.0.0.1. Detached, so that the demo
 * can leave it running for the Web UI after it exits.
 */
export async function startDevServer(o: {
  cli: string;
  port: number;
  uiPort?: number;
  dbFile: string;
  logFile: string;
}): Promise<DevServer> {
  mkdirSync(dirname(o.dbFile), { recursive: true });
  mkdirSync(dirname(o.logFile), { recursive: true });
  const args = devServerArgs({ ip: '127.0.0.1', port: o.port, uiPort: o.uiPort, dbFile: o.dbFile, logLevel: 'warn' });
  const log = openSync(o.logFile, 'a');
  const child = spawn(o.cli, args, { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  const address = `127.0.0.1:${o.port}`;
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  await waitUntil(
    `the Temporal dev server on ${address} (log: ${o.logFile})`,
    async () => {
      if (exited) throw new Error(`temporal server start-dev exited; see ${o.logFile}`);
      const connection = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return true;
      } finally {
        await connection.close();
      }
    },
    60_000,
    300,
  );
  return {
    address,
    uiUrl: o.uiPort ? `http://127.0.0.1:${o.uiPort}` : undefined,
    pid: child.pid!,
    stop: () => stopProcess(child.pid!),
  };
}

/** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone. */
export async function stopProcess(pid: number, graceMs = 10_000): Promise<void> {
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (!alive()) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive())
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  while (alive()) await new Promise((r) => setTimeout(r, 50));
}
