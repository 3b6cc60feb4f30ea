import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentReport, Progress } from '../../src/shared/report.js';
import {
  captureProduction,
  expectBackAtV1,
  expectNoSecretsInHistoryOrLog,
  expectVerifiedRollback,
  health,
  lockfilePackages,
  installedPackages,
} from '../helpers/productionState.js';
import { pollProgress } from '../helpers/progress.js';
import { createScenario, recordHistory, type Scenario } from '../helpers/scenario.js';
import { deploymentResult } from '../../src/cli/deploymentResult.js';

// The lost-writes gate opens during the rollback: rolling back is still under way.
const WHILE_DEPLOYING_OR_ROLLING_BACK = { timeoutMs: 150_000, ongoing: ['running', 'rolling-back'] } as const;

/**
 * Writes policy `detect` on a real production: the app keeps serving during the deployment, and
 * someone registers after the backup. When v2-broken-check fails verification, the rollback must
 * not silently throw that user away: it stops at the `lost-writes` gate and shows what would be
 * lost. Approved: the backup is restored, the user is gone from production but kept in the failed
 * database set aside. Rejected: the database is kept (code-only rollback) and the user stays.
 */
let s: Scenario;
const CASE_TIMEOUT = 240_000;

beforeAll(async () => {
  s = await createScenario('detect', {
    writes: 'detect',
    overrides: { health: { path: '/health', timeout: '10 seconds' }, rehearsal: { enabled: false } },
  });
}, 600_000);
afterAll(async () => s?.close());

// A case that failed half-way must not leave its deployment holding the lock for the next one.
const started: WorkflowHandle[] = [];
afterEach(async () => {
  for (const h of started.splice(0)) await h.terminate('test case ended').catch(() => undefined);
});

/**
 * Starts v2-broken-check and registers `email` through the app once the backup is taken and
 * before the migration (so it is nobody's write but a user's), then waits at the lost-writes gate.
 */
async function deployAndWriteAfterBackup(email: string): Promise<{ handle: WorkflowHandle; gate: Progress }> {
  const handle = await s.start(s.request('v2-broken-check'));
  started.push(handle);
  await pollProgress(
    handle,
    'a finished backup',
    (p) => p.steps.some((x) => x.name === 'backup' && x.status === 'ok'),
    WHILE_DEPLOYING_OR_ROLLING_BACK,
  );
  const res = await fetch(`${s.prod.baseUrl}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: 'late-writer-password', name: 'Late Writer' }),
  });
  expect(res.status).toBe(201);
  // Still before the migration, or the write would count as safe-deploy's own.
  expect((await handle.query<Progress>('progress')).steps.map((x) => x.name)).not.toContain('migrate');
  const gate = await pollProgress(
    handle,
    'the lost-writes gate',
    (p) => p.waitingFor?.gate === 'lost-writes',
    WHILE_DEPLOYING_OR_ROLLING_BACK,
  );
  expect(gate.status).toBe('rolling-back');
  expect(gate.waitingFor).toMatchObject({ kind: 'approval', gate: 'lost-writes' });
  expect(gate.waitingFor?.detail).toContain('public.users: 1 row');
  return { handle, gate };
}

/**
 * Every reading of others' writes the deployment made, from its history: under detect, write
 * points only (the baseline in stopWrites, one before and one after each of our own writing steps,
 * the rollback's check), none of them sleeping for statistics, and no odometer reading at all.
 */
async function writeReadings(
  handle: WorkflowHandle,
): Promise<{ name: string; step: string; sleptMs: number; changed?: Record<string, number> }[]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Map<string, { name: string; step: string }>();
  const out: { name: string; step: string; sleptMs: number; changed?: Record<string, number> }[] = [];
  for (const e of events) {
    const a = e.activityTaskScheduledEventAttributes;
    if (a && ['stopWrites', 'countWrites', 'readWritePoint', 'resumeWrites'].includes(a.activityType!.name!)) {
      scheduled.set(String(e.eventId), {
        name: a.activityType!.name!,
        step: (defaultPayloadConverter.fromPayload(a.input!.payloads![0]!) as { step: string }).step,
      });
    }
    const done = e.activityTaskCompletedEventAttributes;
    const call = done && scheduled.get(String(done.scheduledEventId));
    if (!call) continue;
    const r = defaultPayloadConverter.fromPayload(done.result!.payloads![0]!) as {
      point?: { sleptMs: number; changed?: Record<string, number> };
      sleptMs?: number;
      changed?: Record<string, number>;
    };
    if (call.name === 'resumeWrites' && !r.point) continue; // resuming only: no reading
    const p = r.point ?? r;
    out.push({ ...call, sleptMs: p.sleptMs ?? -1, ...(p.changed ? { changed: p.changed } : {}) });
  }
  return out;
}

const userExists = async (email: string, database?: string) =>
  (await s.query('SELECT 1 FROM users WHERE email = $1', [email], database)).length === 1;

describe('writes policy detect: a restore that would lose writes asks first', () => {
  it(
    'approved: the backup is restored, the late user is gone from production and kept in the failed database',
    async () => {
      const before = await captureProduction(s);
      const email = 'late-approved@farm-chat.example';
      const { handle } = await deployAndWriteAfterBackup(email);
      expect(
        await handle.executeUpdate('approve', {
          args: [{ by: 'ana', reason: 'restore anyway, I will copy the user back' }],
        }),
      ).toEqual({ gate: 'lost-writes', decision: 'approved' });
      const report = await deploymentResult(handle);

      expect(report.error).toMatchObject({ step: 'verify', type: 'VerificationFailed' });
      expectVerifiedRollback(report);
      expect(report.writes?.policy).toBe('detect');
      expect(report.rollback).toMatchObject({
        strategy: 'restore-database',
        databaseRestored: true,
        lostWrites: { 'public.users': 1 },
      });
      expect(report.decisions).toEqual([
        expect.objectContaining({ gate: 'lost-writes', decision: 'approved', by: 'ana' }),
      ]);
      expect(await userExists(email)).toBe(false);
      expect(await userExists(email, report.rollback!.failedDatabaseKeptAs)).toBe(true);
      await expectBackAtV1(s, before, { smokeRuns: 1 });
      await expectNoSecretsInHistoryOrLog(s, handle);
      // No reading slept for statistics: write points, exact at once. The late user shows in the
      // reading before the migration (changed since the baseline: others'), not in our own windows.
      const readings = await writeReadings(handle);
      expect(readings.map((r) => `${r.name} ${r.step}`)).toEqual([
        'stopWrites stop-writes',
        'readWritePoint migrate',
        'readWritePoint verify',
        'readWritePoint migrate',
        'readWritePoint verify',
        'readWritePoint check-lost-writes',
      ]);
      expect(readings.every((r) => r.sleptMs === 0)).toBe(true);
      expect(readings[1]!.changed).toEqual({ 'public.users': 1 });
      await recordHistory(handle, 'rolled-back-detect-lost-writes-approved');
    },
    CASE_TIMEOUT,
  );

  it(
    'rejected: the database is kept with the late user, code and dependencies go back to v1',
    async () => {
      const before = await captureProduction(s);
      const email = 'late-rejected@farm-chat.example';
      const { handle } = await deployAndWriteAfterBackup(email);
      expect(await handle.executeUpdate('reject', { args: [{ by: 'ben', reason: 'keep the new signups' }] })).toEqual({
        gate: 'lost-writes',
        decision: 'rejected',
      });
      const report = await deploymentResult(handle);

      expect(report.outcome).toBe('rolled-back');
      expectVerifiedRollback(report);
      expect(report.rollback).toMatchObject({ strategy: 'code-only', lostWrites: { 'public.users': 1 } });
      expect(report.rollback?.databaseRestored).toBeUndefined();
      expect(report.steps.find((x) => x.name === 'restore-database')).toMatchObject({ status: 'skipped' });
      expect(await userExists(email)).toBe(true);
      // Every row that was there before is still there, unchanged (v2's migration added a column).
      const columns = Object.keys(before.users[0]!);
      const users = await s.query(`SELECT ${columns.map((c) => `"${c}"`).join(', ')} FROM users ORDER BY id`);
      expect(users.slice(0, before.users.length)).toEqual(before.users);
      expect((await s.query('SELECT * FROM messages ORDER BY id')).slice(0, before.messages.length)).toEqual(
        before.messages,
      );
      // Code and dependencies are v1's again, and v1 serves on the kept (v2-migrated) database.
      expect(s.head()).toBe(s.origin.tags.v1);
      expect(installedPackages(s.prod.appDir)).toEqual(lockfilePackages(s, 'v1'));
      expect(await health(s)).toMatchObject({ status: 'ok', version: '1.0.0', maintenance: false });
      expect(report.rollback?.checks.map((c) => c.name)).toContain('release migrations applied');
      await expectNoSecretsInHistoryOrLog(s, handle);
    },
    CASE_TIMEOUT,
  );
});
