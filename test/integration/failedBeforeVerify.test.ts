import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  attemptsOf,
  deployCapturing,
  expectBackAtV1,
  expectNoSecretsInHistoryOrLog,
  expectUntouched,
  expectVerifiedRollback,
} from '../helpers/productionState.js';
import { createScenario, scheduledActivities, type Scenario } from '../helpers/scenario.js';

/**
 * Broken releases that fail before verification, deployed one after the other on ONE real
 * production: a missing ref, `npm ci` refusing an out-of-sync lockfile, an app that exits at start
 * and one whose /health answers 503. After each rollback production must be exactly v1 again —
 * which is also what lets the next case start clean.
 */
let s: Scenario;
const CASE_TIMEOUT = 240_000;

beforeAll(async () => {
  // A short health timeout: a release that never gets healthy fails in seconds, not a minute.
  s = await createScenario('fail-early', {
    overrides: { health: { path: '/health', timeout: '10 seconds' }, rehearsal: { enabled: false } },
  });
}, 600_000);
afterAll(async () => s?.close());

describe('broken releases that fail before verification roll back exactly', () => {
  it(
    'a ref that does not exist: aborted, nothing changed',
    async () => {
      const { report, before, handle } = await deployCapturing(s, 'v2-does-not-exist');
      expect(report.outcome).toBe('aborted');
      expect(report.error).toMatchObject({ step: 'resolve-release', type: 'ReleaseNotFound' });
      expect(report.error?.message).toContain('v2-does-not-exist');
      expect(report.rollback).toBeUndefined();
      expect(await scheduledActivities(handle)).not.toContain('stopWrites');
      await expectUntouched(s, before);
      await expectNoSecretsInHistoryOrLog(s, handle);
    },
    CASE_TIMEOUT,
  );

  it(
    'v2-broken-start: the app exits at start → restart fails, database restored, v1 back',
    async () => {
      const { report, before, handle } = await deployCapturing(s, 'v2-broken-start');
      expect(report.error).toMatchObject({ step: 'restart' });
      expect(['HealthCheckFailed', 'RestartFailed']).toContain(report.error?.type);
      expect(report.migrations?.applied).toEqual(['20260201000000_satshot_integration']);
      expectVerifiedRollback(report);
      expect(report.rollback).toMatchObject({ strategy: 'restore-database', databaseRestored: true });
      await expectBackAtV1(s, before, { smokeRuns: 1 });
      await expectNoSecretsInHistoryOrLog(s, handle);
    },
    CASE_TIMEOUT,
  );

  it(
    'v2-broken-install: npm ci refuses the out-of-sync lockfile while staging → aborted before writes pause, production untouched',
    async () => {
      const { report, before, handle } = await deployCapturing(s, 'v2-broken-install');
      expect(report.outcome).toBe('aborted');
      // Staged (checkout, npm ci, build) before the pause: the release fails there, nothing paused.
      expect(report.error).toMatchObject({ step: 'stage-release', type: 'DependencyInstallFailed' });
      // npm's own reason, and no retry: a lockfile out of sync stays out of sync.
      expect(report.error?.message).toContain('npm EUSAGE');
      expect(report.error?.message).toContain('Missing: farm-chat-field-geometry@1.0.0 from lock file');
      expect(await attemptsOf(handle, 'stageRelease')).toEqual([1]);
      const activities = await scheduledActivities(handle);
      expect(activities).not.toContain('stopWrites');
      expect(activities).not.toContain('installDependencies');
      expect(report.rollback).toBeUndefined();
      await expectUntouched(s, before);
      await expectNoSecretsInHistoryOrLog(s, handle);
    },
    CASE_TIMEOUT,
  );

  it(
    'v2-broken-health: /health answers 503 after the restart → rolled back to v1',
    async () => {
      const { report, before, handle } = await deployCapturing(s, 'v2-broken-health');
      expect(report.error).toMatchObject({ step: 'restart', type: 'HealthCheckFailed' });
      expect(report.error?.message).toContain('503');
      expectVerifiedRollback(report);
      expect(report.rollback).toMatchObject({ strategy: 'restore-database', databaseRestored: true });
      await expectBackAtV1(s, before, { smokeRuns: 1 });
      await expectNoSecretsInHistoryOrLog(s, handle);
    },
    CASE_TIMEOUT,
  );
});
