import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentReport, Progress } from '../../src/shared/report.js';
import { createScenario, recordHistory, scheduledActivities, type Scenario } from '../helpers/scenario.js';
import { deploymentResult } from '../../src/cli/deploymentResult.js';

/**
 * The rehearsal on a copy of the backup (it catches a broken migration before production is
 * touched), the backward-compatibility rehearsal that allows a code-only rollback keeping the
 * writes made since, and the same deployment in the release-directories layout.
 */
let s: Scenario;
const SLOW = { timeout: 300_000 };
const state = async () => ({
  head: s.head(),
  users: await s.query('SELECT id, email FROM users ORDER BY id'),
  migrations: await s.query(
    'SELECT migration_name, finished_at IS NOT NULL AS done FROM _prisma_migrations ORDER BY 1',
  ),
  tables: await s.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`),
});

beforeAll(async () => {
  s = await createScenario('rehearsal', {
    // The previous release is started on the migrated copy: its health and checks must pass there.
    overrides: {
      rehearsal: { startPrevious: { command: [process.execPath, 'src/server.js'], portEnv: 'PORT' } },
      monitor: { minutes: 1, interval: '2 seconds' },
    },
  });
}, 600_000);
afterAll(async () => s?.close());

describe('rehearsal on a copy', () => {
  it('catches a migration that fails half-way before production is touched', SLOW, async () => {
    const before = await state();
    const { report, handle } = await s.deploy(s.request('v2-broken-migration'));
    await recordHistory(handle, 'aborted-at-rehearsal');
    expect(report.outcome).toBe('aborted');
    expect(report.error).toMatchObject({ step: 'rehearse', type: 'RehearsalFailed' });
    // The failing statement's error, from the copy's _prisma_migrations.logs.
    expect(report.error?.message).toContain('20260201000000_satshot_integration');
    expect(report.error?.message).toMatch(/User/);
    expect(await state()).toEqual(before);
    expect(await (await fetch(`${s.prod.baseUrl}/health`)).json()).toMatchObject({
      version: '1.0.0',
      maintenance: false,
    });
    // The copy and the staged checkout are gone.
    const dbs = await s.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [
      `${s.database}_sd_%`,
    ]);
    expect(dbs).toEqual([]);
    expect(readdirSync(join(s.backupDir, 'work'))).toEqual([]);
  });
});

describe('code-only rollback after a rehearsed additive migration', () => {
  let report: DeploymentReport;
  let handle: Awaited<ReturnType<Scenario['start']>>;
  const lateEmail = `after-resume-${Date.now()}@farm-chat.example`;

  beforeAll(async () => {
    handle = await s.start(s.request('v2'));
    // Once writes resumed and monitoring runs, a user registers; then someone asks for a rollback.
    for (;;) {
      const p = await handle.query<Progress>('progress');
      if (p.currentStep === 'monitor') break;
      if (p.status !== 'running' || p.waitingFor)
        throw new Error(`not monitoring: ${p.status} ${JSON.stringify(p.waitingFor ?? p.steps.at(-1))}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const reg = await fetch(`${s.prod.baseUrl}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: lateEmail, password: 'a-late-user-pass', name: 'Late' }),
    });
    expect(reg.status).toBe(201);
    expect(await handle.executeUpdate('rollback', { args: [{ by: 'ana', reason: 'satshot page is slow' }] })).toEqual({
      outcome: 'rolled-back',
    });
    report = await deploymentResult(handle);
    await recordHistory(handle, 'rolled-back-code-only-on-update');
  }, 600_000);

  it('proved v1 runs on the migrated copy and planned a code-only rollback', () => {
    expect(report.rehearsal).toMatchObject({
      previousReleaseCompatible: true,
      migrations: [{ name: '20260201000000_satshot_integration' }],
    });
    expect(report.rehearsal?.migrations[0]!.durationMs).toBeGreaterThanOrEqual(0);
    expect(report.rollbackPlan).toMatchObject({ strategy: 'code-only' });
    // Measured on the copy, not guessed: the migration changed no value that existed.
    expect(report.rehearsal?.existingDataChanges).toEqual([]);
  });

  it('verified the kept database by content: every row of the backup is still the row the backup holds, or was written while writes were open', () => {
    const untouched = report.rollback!.checks.filter((c) => c.name.startsWith('unchanged since the backup: '));
    expect(untouched.map((c) => c.name).sort()).toEqual([
      'unchanged since the backup: public._prisma_migrations',
      'unchanged since the backup: public.messages',
      'unchanged since the backup: public.users',
    ]);
    expect(untouched.every((c) => c.ok)).toBe(true);
    expect(untouched.find((c) => c.name.endsWith('public.messages'))?.detail).toMatch(
      /^all \d+ rows of the backup hold exactly what they held/,
    );
  });

  it('kept the database and the user who wrote during the monitoring window, and put v1 back', async () => {
    expect(report.outcome).toBe('rolled-back');
    expect(report.rollback).toMatchObject({ strategy: 'code-only', requestedBy: 'ana', verified: true });
    expect(await s.query('SELECT email FROM users WHERE email = $1', [lateEmail])).toHaveLength(1);
    expect(await s.query(`SELECT to_regclass('satshot_tokens')::text AS t`)).toEqual([{ t: 'satshot_tokens' }]);
    expect(s.head()).toBe(s.origin.tags.v1);
    expect(existsSync(join(s.prod.appDir, 'node_modules', 'xml2js'))).toBe(false);
    expect(await (await fetch(`${s.prod.baseUrl}/health`)).json()).toMatchObject({
      version: '1.0.0',
      maintenance: false,
    });
    expect(report.rollback?.checks.find((c) => c.name === 'release migrations applied')).toMatchObject({ ok: true });
  });

  it('never restored: the history has no restoreDatabase', async () => {
    expect(await scheduledActivities(handle)).not.toContain('restoreDatabase');
    expect(report.steps.find((x) => x.name === 'restore-database')).toMatchObject({ status: 'skipped' });
  });
});

describe('release directories', () => {
  let r: Scenario;
  beforeAll(async () => {
    r = await createScenario('releases', {
      layout: 'releases',
      overrides: {
        health: { path: '/health', timeout: '15 seconds' },
        rehearsal: { enabled: false },
        monitor: { minutes: 0, interval: '2 seconds' },
      },
    });
  }, 600_000);
  afterAll(async () => r?.close());

  it('rolls back by switching current back: no git, no npm at rollback time', SLOW, async () => {
    const v1Dir = realpathSync(r.prod.appDir);
    const users = await r.query('SELECT * FROM users ORDER BY id');
    const handle = await r.start(r.request('v2', { monitorMinutes: 1 }));
    for (;;) {
      const p = await handle.query<Progress>('progress');
      if (p.currentStep === 'monitor') break;
      if (p.status !== 'running' || p.waitingFor)
        throw new Error(`not monitoring: ${p.status} ${JSON.stringify(p.waitingFor ?? p.steps.at(-1))}`);
      await new Promise((res) => setTimeout(res, 200));
    }
    expect(realpathSync(r.prod.appDir)).not.toBe(v1Dir);
    expect(await handle.executeUpdate('rollback', { args: [{ by: 'ana', reason: 'try the layout' }] })).toEqual({
      outcome: 'rolled-back',
    });
    const report = await deploymentResult(handle);
    expect(realpathSync(r.prod.appDir)).toBe(v1Dir);
    expect(report.steps.find((x) => x.name === 'reinstall-dependencies')).toMatchObject({
      phase: 'rollback',
      status: 'skipped',
    });
    const rollbackActivities = (await scheduledActivities(handle)).slice(
      (await scheduledActivities(handle)).lastIndexOf('monitorOnce') + 1,
    );
    expect(rollbackActivities).not.toContain('installDependencies');
    expect(report.rollback).toMatchObject({ verified: true, strategy: 'restore-database', databaseRestored: true });
    // Restored: the smoke rows of the deployment's verification are gone, the rollback's own are new.
    expect((await r.query('SELECT * FROM users ORDER BY id')).slice(0, users.length)).toEqual(users);
    expect(await (await fetch(`${r.prod.baseUrl}/health`)).json()).toMatchObject({
      version: '1.0.0',
      maintenance: false,
    });
  });

  it('deploys v2 into a release directory of its own and switches current to it', SLOW, async () => {
    const v1Dir = realpathSync(r.prod.appDir);
    const { report } = await r.deploy(r.request('v2'));
    expect(report.outcome).toBe('deployed');
    const v2Dir = realpathSync(r.prod.appDir);
    expect(v2Dir).not.toBe(v1Dir);
    expect(v2Dir).toMatch(new RegExp(`/releases/\\d{14}-${r.origin.tags.v2!.slice(0, 12)}$`));
    expect(existsSync(join(v2Dir, 'node_modules', 'xml2js', 'package.json'))).toBe(true);
    // The previous release is left as it was, with its own node_modules: a rollback is a symlink switch.
    expect(existsSync(join(v1Dir, 'node_modules', 'xml2js'))).toBe(false);
    expect(report.steps.find((x) => x.name === 'install-dependencies')).toMatchObject({ status: 'skipped' });
    expect(await (await fetch(`${r.prod.baseUrl}/health`)).json()).toMatchObject({ version: '2.0.0' });
    expect(JSON.parse(readFileSync(join(v2Dir, 'package.json'), 'utf8')).version).toBe('2.0.0');
  });
});
