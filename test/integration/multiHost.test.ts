import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createFarmChatProduction, stopFarmChat, type FarmChatProduction } from '../../scripts/lib/farmChat.js';
import { writeFarmChatWorkerConfig } from '../../scripts/lib/farmChatConfig.js';
import { freePort } from '../../scripts/lib/ports.js';
import type { DeploymentReport } from '../../src/shared/report.js';
import { createWorker } from '../../src/worker.js';
import { createScenario, recordHistory, type Scenario } from '../helpers/scenario.js';

/**
 * Two hosts on this machine: two working copies of farm-chat on two ports over one database, each
 * with a worker on its own task queue and its own config. The database steps run once, on web-1;
 * code, dependencies, restart and verification on each host; a rollback undoes both.
 */
const SLOW = { timeout: 400_000 };
const q1 = `hosts-web-1-${randomUUID().slice(0, 8)}`;
const q2 = `hosts-web-2-${randomUUID().slice(0, 8)}`;
let s: Scenario;
let web2: FarmChatProduction;
let connection: NativeConnection;
const workers: { worker: Worker; running: Promise<void> }[] = [];
const overrides = { health: { path: '/health', timeout: '10 seconds' }, rehearsal: { enabled: false } };

const headOf = (dir: string) => execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
const health = async (baseUrl: string) => (await fetch(`${baseUrl}/health`)).json();

/** Activity type → the task queues it was scheduled on, in order, from the real history. */
async function queuesByActivity(handle: WorkflowHandle): Promise<[string, string][]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const a = e.activityTaskScheduledEventAttributes;
    return a?.activityType?.name ? [[a.activityType.name, a.taskQueue?.name ?? ''] as [string, string]] : [];
  });
}

beforeAll(async () => {
  s = await createScenario('hosts', { overrides: { ...overrides, hosts: [{ name: 'web-1', taskQueue: q1 }, { name: 'web-2', taskQueue: q2 }] } });
  // web-2: its own clone and app on its own port, the same database (already migrated and seeded).
  web2 = await createFarmChatProduction({ origin: s.origin, rootDir: join(s.root, 'web-2'), databaseUrl: s.databaseUrl, port: await freePort(), seed: false });
  const web2Config = join(s.root, 'web-2.config.json');
  writeFarmChatWorkerConfig(web2Config, web2, { backupDir: join(s.root, 'web-2-backups'), pgBinDir: inject('pg').binDir, environment: s.environment, overrides });
  connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  for (const [taskQueue, configPath] of [[q1, s.configPath], [q2, web2Config]] as const) {
    const worker = await createWorker({ connection, taskQueue, configPath, workflowBundle: { codePath: inject('workflowBundlePath') } });
    workers.push({ worker, running: worker.run() });
  }
}, 600_000);

afterAll(async () => {
  for (const w of workers) w.worker.shutdown();
  await Promise.all(workers.map((w) => w.running.catch(() => undefined)));
  await connection?.close();
  if (web2) await stopFarmChat(web2).catch(() => undefined);
  await s?.close();
});

describe('several hosts', () => {
  it('rolls back every host that changed when one host fails verification', SLOW, async () => {
    const before = await s.query('SELECT * FROM users ORDER BY id');
    const { handle, report } = await s.deploy(s.request('v2-broken-check'));
    await recordHistory(handle, 'rolled-back-two-hosts');
    expect(report.outcome).toBe('rolled-back');
    expect(report.error).toMatchObject({ step: 'verify', type: 'VerificationFailed' });
    for (const [dir, baseUrl] of [[s.prod.appDir, s.prod.baseUrl], [web2.appDir, web2.baseUrl]]) {
      expect(headOf(dir!)).toBe(s.origin.tags.v1);
      expect(existsSync(join(dir!, 'node_modules', 'xml2js'))).toBe(false);
      expect(await health(baseUrl!)).toMatchObject({ version: '1.0.0', maintenance: false });
    }
    expect((await s.query('SELECT * FROM users ORDER BY id')).slice(0, before.length)).toEqual(before);
    expect(report.rollback).toMatchObject({ verified: true, databaseRestored: true });
    const scheduled = await queuesByActivity(handle);
    // Code went forward and back on both hosts; the database was restored once, on web-1.
    expect(scheduled.filter(([a]) => a === 'activateRelease').map(([, q]) => q)).toEqual([q1, q2, q2, q1]);
    expect(scheduled.filter(([a]) => a === 'restoreDatabase').map(([, q]) => q)).toEqual([q1]);
  });

  it('deploys v2 on both hosts, migrating once', SLOW, async () => {
    const { handle, report } = await s.deploy(s.request('v2'));
    expect(report.outcome).toBe('deployed');
    for (const [dir, baseUrl] of [[s.prod.appDir, s.prod.baseUrl], [web2.appDir, web2.baseUrl]]) {
      expect(headOf(dir!)).toBe(s.origin.tags.v2);
      expect(existsSync(join(dir!, 'node_modules', 'xml2js', 'package.json'))).toBe(true);
      expect(await health(baseUrl!)).toMatchObject({ version: '2.0.0', maintenance: false });
    }
    const scheduled = await queuesByActivity(handle);
    expect(scheduled.filter(([a]) => a === 'migrateDatabase').map(([, q]) => q)).toEqual([q1]);
    expect(scheduled.filter(([a]) => a === 'backupDatabase').map(([, q]) => q)).toEqual([q1]);
    // One host at a time: web-1 restarted and verified before web-2.
    expect(scheduled.filter(([a]) => a === 'restartApplication' || a === 'verifyDeployment')).toEqual([
      ['restartApplication', q1], ['verifyDeployment', q1], ['restartApplication', q2], ['verifyDeployment', q2],
    ]);
    expect(report.checks.some((c) => c.name.startsWith('web-2: '))).toBe(true);
    expect((report as DeploymentReport).steps.filter((x) => x.name === 'verify').map((x) => x.summary)).toEqual([
      expect.stringContaining('on web-1'), expect.stringContaining('on web-2'),
    ]);
  });
});
