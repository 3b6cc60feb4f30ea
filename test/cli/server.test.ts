import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePortBetween } from '../../scripts/lib/ports.js';
import { ensureTemporalCli } from '../../scripts/lib/temporalCli.js';
import { SEARCH_ATTRIBUTES } from '../../src/shared/searchAttributes.js';
import { CLI, runCli } from '../helpers/cli.js';

/**
 * `safe-deploy server` (a real dev server, persisted in a file, with the search attributes) and
 * `safe-deploy namespace setup` on a server that has none of them, through the built CLI.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;
let temporalCli: string;
const children: ChildProcess[] = [];

async function answers(address: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const c = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await c.workflowService.getSystemInfo({});
        return;
      } finally {
        await c.close();
      }
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 300));
    }
  }
}

function spawnTracked(file: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const child = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

const stop = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'safe-deploy-server-'));
  const found = ensureTemporalCli(root);
  if (!found) throw new Error('no Temporal CLI for this test');
  temporalCli = found;
});
afterAll(async () => {
  for (const child of children) await stop(child);
  rmSync(dir, { recursive: true, force: true });
});

describe('safe-deploy namespace setup', () => {
  it('registers the Deploy* search attributes on a server that has none, then finds them there', async () => {
    const port = await freePortBetween(20000, 30000);
    const address = `127.0.0.1:${port}`;
    spawnTracked(temporalCli, [
      'server',
      'start-dev',
      '--headless',
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--db-filename',
      join(dir, 'bare.db'),
      '--log-level',
      'error',
    ]);
    await answers(address);
    const first = await runCli(['--address', address, 'namespace', 'setup']);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(first.stdout.trim().split('\n')).toEqual([
      '✓ DeployApp: added (keyword)',
      '✓ DeployEnvironment: added (keyword)',
      '✓ DeployRef: added (keyword)',
      '✓ DeployOutcome: added (keyword)',
      'namespace default is ready for safe-deploy',
    ]);
    const again = await runCli(['--address', address, 'namespace', 'setup', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.json()).toEqual({
      namespace: 'default',
      ready: true,
      attributes: SEARCH_ATTRIBUTES.map((sa) => ({ name: sa.split('=')[0], state: 'registered', type: 'keyword' })),
    });
    // What the attributes are for: list filters by them on this server.
    const list = await runCli(['--address', address, 'list', '--app', 'farm-chat', '--json']);
    expect(list.code, list.stderr).toBe(0);
  });

  it('an unreachable server is an error, not "ready"', async () => {
    const port = await freePortBetween(20000, 30000);
    const r = await runCli(['--address', `127.0.0.1:${port}`, 'namespace', 'setup']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toContain('ready');
  });
});

describe('safe-deploy server', () => {
  it(
    'runs a dev server with the search attributes whose history outlives a restart',
    { timeout: 180_000 },
    async () => {
      const port = await freePortBetween(20000, 30000);
      const address = `127.0.0.1:${port}`;
      const dbFile = join(dir, 'nested', 'temporal.db');
      const env = { ...process.env, TEMPORAL_CLI: temporalCli };
      const args = [CLI, 'server', '--headless', '--port', String(port), '--db-file', dbFile];
      let server = spawnTracked(process.execPath, args, env);
      let said = '';
      server.stdout!.on('data', (d: Buffer) => (said += d));
      await answers(address);
      expect(said).toContain(`Temporal dev server on 127.0.0.1:${port}, history in ${dbFile}`);
      expect(statSync(dbFile).isFile()).toBe(true);
      const setup = await runCli(['--address', address, 'namespace', 'setup']);
      expect(setup.stdout).toContain('✓ DeployOutcome: already registered (keyword)');

      // Something kept in Temporal: a freeze (a workflow; no worker is needed to start one).
      const freeze = await runCli([
        '--address',
        address,
        '--task-queue',
        'nobody',
        'freeze',
        '--app',
        'farm-chat',
        '--env',
        'production',
        '--reason',
        'kept across restarts',
      ]);
      expect(freeze.code, freeze.stderr).toBe(0);
      expect(await stop(server)).toBe(0);

      server = spawnTracked(process.execPath, args, env);
      await answers(address);
      const listed = await runCli(['--address', address, 'list', '--app', 'farm-chat', '--json']);
      expect(listed.json<{ freezes: { reason: string }[] }>().freezes).toEqual([
        expect.objectContaining({ reason: 'kept across restarts', by: 'tester' }),
      ]);
    },
  );

  it('refuses a bad port before starting anything', async () => {
    const r = await runCli(['server', '--port', '99999']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--port');
  });
});
