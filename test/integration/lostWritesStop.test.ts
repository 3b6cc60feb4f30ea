import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Progress } from '../../src/shared/report.js';
import {
  captureProduction,
  expectNoSecretsInHistoryOrLog,
  expectVerifiedRollback,
  health,
} from '../helpers/productionState.js';
import { pollProgress } from '../helpers/progress.js';
import { createScenario, recordHistory, type Scenario } from '../helpers/scenario.js';
import { deploymentResult } from '../../src/cli/deploymentResult.js';

/**
 * Writes policy `stop` on a real production, with write points: `resume-writes` takes its
 * snapshot while writes are paused and ends the pause before counting. Someone registers during
 * the monitoring window; a `rollback` then pauses writes again and must count that user as
 * written since — at once, with no sleep for statistics — and ask before restoring over it.
 */
let s: Scenario;
const CASE_TIMEOUT = 300_000;

beforeAll(async () => {
  s = await createScenario('stop-points', {
    overrides: {
      health: { path: '/health', timeout: '10 seconds' },
      rehearsal: { enabled: false },
      monitor: { minutes: 5, interval: '5 seconds' },
    },
  });
}, 600_000);
afterAll(async () => s?.close());

const started: WorkflowHandle[] = [];
afterEach(async () => {
  for (const h of started.splice(0)) await h.terminate('test case ended').catch(() => undefined);
});

describe('writes policy stop: the resume reading is a write point, and a later rollback counts what came after it', () => {
  it(
    'a user registered after writes resumed is counted; rejected, the database is kept with the user',
    async () => {
      await captureProduction(s);
      const handle = await s.start(s.request('v2', { monitorMinutes: 5 }));
      started.push(handle);
      await pollProgress(
        handle,
        'monitoring',
        (p) => p.steps.some((x) => x.name === 'resume-writes' && x.status === 'ok'),
        { timeoutMs: 200_000, ongoing: ['running'] },
      );
      expect(await health(s)).toMatchObject({ maintenance: false }); // the pause ended
      const email = 'after-resume@farm-chat.example';
      const res = await fetch(`${s.prod.baseUrl}/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: 'after-resume-password', name: 'After Resume' }),
      });
      expect(res.status).toBe(201);

      const answer = handle.executeUpdate('rollback', { args: [{ by: 'ana', reason: 'monitoring looked wrong' }] });
      const gate = await pollProgress(
        handle,
        'the lost-writes gate',
        (p: Progress) => p.waitingFor?.gate === 'lost-writes',
        { timeoutMs: 120_000, ongoing: ['running', 'rolling-back'] },
      );
      expect(gate.waitingFor?.detail).toContain('public.users: 1 row');
      expect(gate.waitingFor?.detail).not.toContain('could not be counted exactly');
      expect(await handle.executeUpdate('reject', { args: [{ by: 'ben', reason: 'keep the signup' }] })).toEqual({
        gate: 'lost-writes',
        decision: 'rejected',
      });
      await answer.catch(() => undefined);
      const report = await deploymentResult(handle);

      expect(report.outcome).toBe('rolled-back');
      expectVerifiedRollback(report);
      expect(report.rollback).toMatchObject({ strategy: 'code-only', lostWrites: { 'public.users': 1 } });
      expect((await s.query('SELECT 1 FROM users WHERE email = $1', [email])).length).toBe(1);
      expect(report.writes).toMatchObject({
        policy: 'stop',
        stoppedAt: expect.any(String),
        resumedAt: expect.any(String),
      });

      // The history: resume-writes carried the write point; no odometer reading, nothing slept.
      const events = (await handle.fetchHistory()).events ?? [];
      const names = events.flatMap((e) =>
        e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType!.name!] : [],
      );
      expect(names).not.toContain('countWrites');
      expect(names).toContain('readWritePoint');
      const slept = events.flatMap((e) => {
        const r = e.activityTaskCompletedEventAttributes?.result?.payloads?.[0];
        const v = r
          ? (defaultPayloadConverter.fromPayload(r) as
              { point?: { sleptMs: number }; sleptMs?: number; snapshot?: string } | undefined)
          : undefined;
        return v?.point ? [v.point.sleptMs] : v?.snapshot ? [v.sleptMs!] : [];
      });
      expect(slept).toEqual([0, 0]); // resume-writes' point, check-lost-writes' reading
      await expectNoSecretsInHistoryOrLog(s, handle);
      await recordHistory(handle, 'rolled-back-stop-lost-writes-rejected');
    },
    CASE_TIMEOUT,
  );
});
