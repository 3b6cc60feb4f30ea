import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentReport } from '../../src/shared/report.js';
import { queuesByActivity, twoHosts } from '../helpers/hosts.js';
import { createScenario, recordHistory, type Scenario } from '../helpers/scenario.js';

/**
 * Two hosts on this machine: two working copies of farm-chat on two ports over one database, each
 * with a worker on its own task queue and its own config. The database steps run once, on web-1;
 * code, dependencies, restart and verification on each host; a rollback undoes both.
 */
const SLOW = { timeout: 400_000 };
const hosts = twoHosts('hosts');
const [q1, q2] = hosts.queues;
let s: Scenario;
const overrides = { health: { path: '/health', timeout: '10 seconds' }, rehearsal: { enabled: false } };

const headOf = (dir: string) => execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
const health = async (baseUrl: string) => (await fetch(`${baseUrl}/health`)).json();

beforeAll(async () => {
  s = await createScenario('hosts', { overrides: { ...overrides, hosts: hosts.config } });
  await hosts.start(s, { overrides });
}, 600_000);

afterAll(async () => {
  await hosts.close();
  await s?.close();
});

describe('several hosts', () => {
  it('rolls back every host that changed when one host fails verification', SLOW, async () => {
    const before = await s.query('SELECT * FROM users ORDER BY id');
    const { handle, report } = await s.deploy(s.request('v2-broken-check'));
    await recordHistory(handle, 'rolled-back-two-hosts');
    expect(report.outcome).toBe('rolled-back');
    expect(report.error).toMatchObject({ step: 'verify', type: 'VerificationFailed' });
    for (const [dir, baseUrl] of [
      [s.prod.appDir, s.prod.baseUrl],
      [hosts.web2.appDir, hosts.web2.baseUrl],
    ]) {
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
    for (const [dir, baseUrl] of [
      [s.prod.appDir, s.prod.baseUrl],
      [hosts.web2.appDir, hosts.web2.baseUrl],
    ]) {
      expect(headOf(dir!)).toBe(s.origin.tags.v2);
      expect(existsSync(join(dir!, 'node_modules', 'xml2js', 'package.json'))).toBe(true);
      expect(await health(baseUrl!)).toMatchObject({ version: '2.0.0', maintenance: false });
    }
    const scheduled = await queuesByActivity(handle);
    expect(scheduled.filter(([a]) => a === 'migrateDatabase').map(([, q]) => q)).toEqual([q1]);
    expect(scheduled.filter(([a]) => a === 'backupDatabase').map(([, q]) => q)).toEqual([q1]);
    // One host at a time: web-1 restarted and verified before web-2.
    expect(scheduled.filter(([a]) => a === 'restartApplication' || a === 'verifyDeployment')).toEqual([
      ['restartApplication', q1],
      ['verifyDeployment', q1],
      ['restartApplication', q2],
      ['verifyDeployment', q2],
    ]);
    expect(report.checks.some((c) => c.name.startsWith('web-2: '))).toBe(true);
    expect((report as DeploymentReport).steps.filter((x) => x.name === 'verify').map((x) => x.summary)).toEqual([
      expect.stringContaining('on web-1'),
      expect.stringContaining('on web-2'),
    ]);
  });
});
