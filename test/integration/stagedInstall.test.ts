import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentReport } from '../../src/shared/report.js';
import {
  captureProduction,
  deployCapturing,
  expectBackAtV1,
  expectNoSecretsInHistoryOrLog,
  expectUntouched,
  expectVerifiedRollback,
  installedPackages,
  lockfilePackages,
} from '../helpers/productionState.js';
import { createScenario, recordHistory, type Scenario } from '../helpers/scenario.js';

/**
 * Issue 14.1–14.2 on real components (Temporal, PostgreSQL, git, npm; farm-chat in place, snapshot
 * backups): the release is staged (npm ci, build) and rehearsed on an online copy before writes
 * pause; inside the pause install-dependencies moves the staged install in (no second npm ci),
 * keeping v1's aside; a rollback moves v1's back, or installs when the kept one carries no
 * marker of its commit and lockfile. One production, cases in order: each rollback leaves v1.
 */
let s: Scenario;
const CASE_TIMEOUT = 300_000;

interface ActivityEvent {
  name: string;
  scheduledId: string;
  input: Record<string, unknown>;
  result?: Record<string, unknown>;
  completedAt?: number;
  scheduledAt: number;
}

/** Every activity of the run, in the order scheduled, with its input, result and where in the history it was scheduled and completed. */
async function activities(handle: WorkflowHandle): Promise<ActivityEvent[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const json = (p: { data?: Uint8Array | null } | undefined) =>
    p?.data ? (JSON.parse(Buffer.from(p.data).toString('utf8')) as Record<string, unknown>) : undefined;
  const out: ActivityEvent[] = [];
  for (const [i, e] of events.entries()) {
    const a = e.activityTaskScheduledEventAttributes;
    if (a)
      out.push({
        name: a.activityType!.name!,
        scheduledId: String(e.eventId),
        input: json(a.input?.payloads?.[0]) ?? {},
        scheduledAt: i,
      });
    const c = e.activityTaskCompletedEventAttributes;
    if (c) {
      const x = out.find((o) => o.scheduledId === String(c.scheduledEventId))!;
      x.result = json(c.result?.payloads?.[0]);
      x.completedAt = i;
    }
  }
  return out;
}

const marker = () =>
  JSON.parse(readFileSync(join(s.prod.appDir, 'node_modules', '.safe-deploy-install.json'), 'utf8')) as {
    commit: string;
    dir: string;
  };
const workDir = () => join(s.backupDir, 'work');

beforeAll(async () => {
  s = await createScenario('staged', {
    backup: { method: 'snapshot' },
    overrides: { health: { path: '/health', timeout: '15 seconds' } },
  });
}, 600_000);
afterAll(async () => s?.close());

describe('staged and rehearsed before the pause (in place, snapshot backups)', () => {
  it(
    'a migration that fails on the online copy: aborted at rehearse, writes never paused, staged copy gone, production untouched',
    async () => {
      const { report, before, handle } = await deployCapturing(s, 'v2-broken-migration');
      await recordHistory(handle, 'aborted-at-rehearsal-before-pause');
      expect(report.outcome).toBe('aborted');
      expect(report.error).toMatchObject({ step: 'rehearse', type: 'RehearsalFailed' });
      const names = (await activities(handle)).map((a) => a.name);
      expect(names).toContain('rehearseMigration');
      expect(names).not.toContain('stopWrites');
      expect(names).not.toContain('backupDatabase');
      expect(report.writes).toBeUndefined();
      expect(readdirSync(workDir())).toEqual([]);
      await expectUntouched(s, before);
    },
    CASE_TIMEOUT,
  );

  it(
    "v2-broken-check, v1 installed by hand (no marker): rolled back, v1's kept node_modules do not prove their lockfile, so they are reinstalled, and the step says so",
    async () => {
      expect(existsSync(join(s.prod.appDir, 'node_modules', '.safe-deploy-install.json'))).toBe(false);
      const { report, before, handle } = await deployCapturing(s, 'v2-broken-check');
      expect(report.error).toMatchObject({ step: 'verify' });
      expectVerifiedRollback(report);
      expect(report.steps.find((x) => x.name === 'install-dependencies')?.result).toMatch(
        /^moved in from the staged copy/,
      );
      expect(report.steps.find((x) => x.name === 'reinstall-dependencies')?.result).toMatch(
        /the kept node_modules did not match .*: installed with the install command/,
      );
      expect(marker()).toMatchObject({ commit: s.origin.tags.v1, dir: s.prod.appDir });
      await expectBackAtV1(s, before, { smokeRuns: 1 });
      await expectNoSecretsInHistoryOrLog(s, handle);
    },
    CASE_TIMEOUT,
  );

  it(
    "v2-broken-check again, v1 now with its marker: the rollback moves v1's very node_modules back — v1's lockfile, no xml2js, no npm ci",
    async () => {
      const v1Modules = statSync(join(s.prod.appDir, 'node_modules')).ino;
      // npm ci would empty node_modules: a file only v1's own folder holds proves it came back.
      writeFileSync(join(s.prod.appDir, 'node_modules', '.v1-sentinel'), 'v1');
      const { report, before, handle } = await deployCapturing(s, 'v2-broken-check');
      await recordHistory(handle, 'rolled-back-kept-dependencies');
      expectVerifiedRollback(report);
      expect(report.steps.find((x) => x.name === 'reinstall-dependencies')?.result).toMatch(
        /^moved back from the kept copy, not installed again/,
      );
      expect(statSync(join(s.prod.appDir, 'node_modules')).ino).toBe(v1Modules);
      expect(readFileSync(join(s.prod.appDir, 'node_modules', '.v1-sentinel'), 'utf8')).toBe('v1');
      expect(installedPackages(s.prod.appDir)).toEqual(lockfilePackages(s, 'v1'));
      expect(existsSync(join(s.prod.appDir, 'node_modules', 'xml2js'))).toBe(false);
      // Nothing left under workDir: the staged copy removed, the kept folder moved back and removed.
      expect(readdirSync(workDir())).toEqual([]);
      await expectBackAtV1(s, before, { smokeRuns: 1 });
    },
    CASE_TIMEOUT,
  );

  describe('v1 → v2, deployed', () => {
    let report: DeploymentReport;
    let acts: ActivityEvent[];
    let v1Modules: number;
    beforeAll(async () => {
      v1Modules = statSync(join(s.prod.appDir, 'node_modules')).ino;
      const { handle, report: r } = await s.deploy(s.request('v2'));
      report = r;
      // deployed-staged-before-pause.json: the same before the snapshot's proof moved beside the release.
      await recordHistory(handle, 'deployed-snapshot-proven-beside-release');
      acts = await activities(handle);
    }, CASE_TIMEOUT);
    const one = (name: string, step?: string) => {
      const found = acts.filter((a) => a.name === name && (step === undefined || a.input.step === step));
      expect(found, `${name} ${step ?? ''}`).toHaveLength(1);
      return found[0]!;
    };

    it('ends deployed: v2 serves with xml2js, every step ok', async () => {
      expect(report.outcome).toBe('deployed');
      expect(report.steps.every((x) => x.status === 'ok')).toBe(true);
      expect(s.head()).toBe(s.origin.tags.v2);
      expect(installedPackages(s.prod.appDir)).toEqual(lockfilePackages(s, 'v2'));
      expect(await (await fetch(`${s.prod.baseUrl}/health`)).json()).toMatchObject({
        version: '2.0.0',
        maintenance: false,
      });
    });

    it('staged and rehearsed (on an online dump, not the backup) before stop-writes was scheduled', () => {
      const stop = one('stopWrites', 'stop-writes');
      expect(one('stageRelease').completedAt).toBeLessThan(stop.scheduledAt);
      const rehearsal = one('rehearseMigration');
      expect(rehearsal.completedAt).toBeLessThan(stop.scheduledAt);
      expect(rehearsal.input.backupPath).toBeUndefined();
      expect(rehearsal.input.templateDatabase).toBeUndefined();
      expect(report.rehearsal?.migrations.map((m) => m.name)).toEqual(['20260201000000_satshot_integration']);
      // v2 alters users and creates satshot_tokens: the copy got users' rows, not the messages'.
      expect(report.rehearsal?.copied).toEqual({ rowsOf: ['public._prisma_migrations', 'public.users'] });
    });

    it('ran no install in the pause: only the backup, code, the move of the staged install, migrate, restart and verify ran between stop-writes and resume-writes (the resume reads its own write point: no odometer reading)', () => {
      const stop = one('stopWrites', 'stop-writes');
      const resume = one('resumeWrites', 'resume-writes');
      expect(
        acts.filter((a) => a.scheduledAt > stop.scheduledAt && a.scheduledAt < resume.scheduledAt).map((a) => a.name),
      ).toEqual([
        'copyDatabaseForBackup',
        'fingerprintBackup',
        'activateRelease',
        'installDependencies',
        'migrateDatabase',
        'restartApplication',
        'verifyDeployment',
      ]);
      const install = one('installDependencies', 'install-dependencies');
      expect(install.result).toMatchObject({ source: 'staged', commit: s.origin.tags.v2 });
      expect(install.result?.note).toBeUndefined();
      // The install that built this node_modules ran in the staged copy, not in the app's directory.
      const m = marker();
      expect(m.commit).toBe(s.origin.tags.v2);
      expect(m.dir).toBe((one('stageRelease').result as { dir: string }).dir);
      expect(m.dir.startsWith(`${workDir()}/`)).toBe(true);
      expect(statSync(join(s.prod.appDir, 'node_modules')).ino).not.toBe(v1Modules);
    });

    it('the snapshot: only its copy in the pause; its fingerprint beside the code steps, the migration after it; its dump after writes resumed, before the deployment ended', () => {
      const fingerprinted = one('fingerprintBackup');
      expect(one('activateRelease').scheduledAt).toBeLessThan(fingerprinted.completedAt!);
      expect(one('migrateDatabase').scheduledAt).toBeGreaterThan(fingerprinted.completedAt!);
      const dumped = one('dumpBackup');
      expect(dumped.scheduledAt).toBeGreaterThan(one('resumeWrites', 'resume-writes').completedAt!);
      const names = report.steps.map((x) => x.name);
      expect(names.slice(names.indexOf('resume-writes'))).toEqual([
        'resume-writes',
        'dump-backup',
        'remove-staging',
        'prune',
      ]);
      const backup = report.backup!;
      expect(backup).toMatchObject({ method: 'snapshot', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
      expect(existsSync(backup.path!)).toBe(true);
      expect(existsSync(`${backup.path}.json`)).toBe(true);
      expect(report.steps.find((x) => x.name === 'backup')?.result).toMatch(
        /^snapshot \S+_snap \(database closed \d+ ms\)$/,
      );
    });

    it('removed the staged copy and, once deployed, the v1 dependencies it kept for a rollback', async () => {
      expect(report.steps.filter((x) => x.name === 'remove-staging').map((x) => x.result)).toEqual(['removed']);
      expect(report.steps.find((x) => x.name === 'prune')?.result).toBe('removed');
      expect(readdirSync(workDir())).toEqual([]);
      expect((await captureProduction(s)).status).toBe('');
    });
  });
});
