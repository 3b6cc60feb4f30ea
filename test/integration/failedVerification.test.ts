import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentReport } from '../../src/shared/report.js';
import {
  captureProduction,
  deployCapturing,
  expectBackAtV1,
  expectNoSecretsInHistoryOrLog,
  expectVerifiedRollback,
} from '../helpers/productionState.js';
import { createScenario, type Scenario } from '../helpers/scenario.js';

/**
 * Broken releases that install, migrate and start fine but fail verification, deployed one after
 * the other on ONE real production (writes policy `stop`): a post-deploy HTTP check answering 500,
 * a schema expectation no migration meets, and startup code that deletes every message. Each must
 * end rolled back with production exactly at v1 again. While the first runs, a user of the app
 * keeps trying to register: from the moment writes are paused until the rollback is over every
 * attempt is refused, and no accepted write is lost.
 */
let s: Scenario;
const CASE_TIMEOUT = 240_000;

beforeAll(async () => {
  s = await createScenario('fail-verify', {
    overrides: { health: { path: '/health', timeout: '10 seconds' }, rehearsal: { enabled: false } },
  });
}, 600_000);
afterAll(async () => s?.close());

const failedChecks = (r: DeploymentReport) => r.checks.filter((c) => !c.ok).map((c) => c.name);

interface Attempt {
  email: string;
  sentAt: number;
  answeredAt: number;
  /** HTTP status, or 0 when nothing answered (the app was restarting). */
  status: number;
}

/** A user of the app registering again and again until `stop` is called. */
function keepRegistering(): { stop: () => Promise<Attempt[]> } {
  const attempts: Attempt[] = [];
  let running = true;
  const loop = (async () => {
    for (let n = 0; running; n++) {
      const email = `writer-${n}-${Date.now()}@farm-chat.example`;
      const sentAt = Date.now();
      let status = 0;
      try {
        const res = await fetch(`${s.prod.baseUrl}/auth/register`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email, password: 'writer-password', name: 'Writer' }),
          signal: AbortSignal.timeout(5_000),
        });
        status = res.status;
        await res.arrayBuffer();
      } catch {
        status = 0;
      }
      attempts.push({ email, sentAt, answeredAt: Date.now(), status });
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return attempts;
    },
  };
}

describe('broken releases that fail verification roll back exactly', () => {
  it(
    'v2-broken-check: /integrations/satshot answers 500 → rolled back; writes were refused the whole time, none lost',
    async () => {
      const before = await captureProduction(s);
      const writer = keepRegistering();
      let attempts: Attempt[] = [];
      let deployed: Awaited<ReturnType<Scenario['deploy']>>;
      try {
        deployed = await s.deploy(s.request('v2-broken-check'));
      } finally {
        attempts = await writer.stop();
      }
      const { handle, report } = deployed;

      expect(report.error).toMatchObject({ step: 'verify', type: 'VerificationFailed' });
      expect(failedChecks(report)).toEqual(['satshot']);
      expect(report.checks.find((c) => c.name === 'satshot')?.detail).toContain('500');
      expectVerifiedRollback(report);
      expect(report.rollback).toMatchObject({ strategy: 'restore-database', databaseRestored: true });
      expect(report.rollback?.lostWrites ?? {}).toEqual({});

      // Writes were paused from the end of `stop-writes` to the start of `resume-writes-after-rollback`.
      const step = (name: string) => report.steps.find((x) => x.name === name)!;
      const pausedFrom = Date.parse(step('stop-writes').startedAt) + step('stop-writes').durationMs!;
      const pausedUntil = Date.parse(step('resume-writes-after-rollback').startedAt);
      const during = attempts.filter((a) => a.sentAt > pausedFrom && a.answeredAt < pausedUntil);
      expect(during.length).toBeGreaterThan(20);
      expect(during.filter((a) => a.status !== 503 && a.status !== 0)).toEqual([]); // 503, or no answer while restarting
      expect(during.filter((a) => a.status === 503).length).toBeGreaterThan(during.length / 2);

      // No lost writes: every registration the app accepted is there, no refused one is.
      const accepted = attempts.filter((a) => a.status === 201).map((a) => a.email);
      const refused = attempts.filter((a) => a.status !== 201).map((a) => a.email);
      expect(accepted.length).toBeGreaterThan(0);
      const emails = new Set((await s.query<{ email: string }>('SELECT email FROM users')).map((u) => u.email));
      expect(accepted.filter((e) => !emails.has(e))).toEqual([]);
      expect(refused.filter((e) => emails.has(e))).toEqual([]);

      await expectBackAtV1(s, before, { smokeRuns: 1, ownUsers: accepted });
      await expectNoSecretsInHistoryOrLog(s, handle);
    },
    CASE_TIMEOUT,
  );

  it(
    'v2-missing-expectation: a column no migration creates → verification names it, rolled back',
    async () => {
      const { report, before, handle } = await deployCapturing(s, 'v2-missing-expectation');
      expect(report.error).toMatchObject({ step: 'verify', type: 'VerificationFailed' });
      expect(report.error?.message).toContain('column users.satshotLastSyncAt (missing)');
      expect(failedChecks(report)).toEqual(['column users.satshotLastSyncAt']);
      expectVerifiedRollback(report);
      expect(report.rollback).toMatchObject({ strategy: 'restore-database', databaseRestored: true });
      await expectBackAtV1(s, before, { smokeRuns: 1 });
      await expectNoSecretsInHistoryOrLog(s, handle);
    },
    CASE_TIMEOUT,
  );

  it(
    'v2-data-loss: startup code deletes every message → the data check fails, the messages come back',
    async () => {
      const { report, before, handle } = await deployCapturing(s, 'v2-data-loss');
      expect(report.error).toMatchObject({ step: 'verify', type: 'VerificationFailed' });
      expect(failedChecks(report)).toEqual(['rows public.messages']);
      // Only the verification's own smoke message was left.
      expect(report.checks.find((c) => c.name === 'rows public.messages')?.detail).toBe(
        `1 rows now, ${before.messages.length} before`,
      );
      expectVerifiedRollback(report);
      expect(report.rollback).toMatchObject({ strategy: 'restore-database', databaseRestored: true });
      // The failed database, kept aside, really lost them.
      expect(
        await s.query('SELECT count(*)::int AS n FROM messages', [], report.rollback!.failedDatabaseKeptAs),
      ).toEqual([{ n: 1 }]);
      await expectBackAtV1(s, before, { smokeRuns: 1 });
      await expectNoSecretsInHistoryOrLog(s, handle);
    },
    CASE_TIMEOUT,
  );
});
