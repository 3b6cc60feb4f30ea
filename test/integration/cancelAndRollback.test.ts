import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureTemporalCli } from '../../scripts/lib/temporalCli.js';
import type { DeploymentReport, Progress } from '../../src/shared/report.js';
import {
  captureProduction,
  expectBackAtV1,
  expectNoSecretsInHistoryOrLog,
  expectVerifiedRollback,
} from '../helpers/productionState.js';
import { createScenario, recordHistory, scheduledActivities, type Scenario } from '../helpers/scenario.js';
import { deploymentResult } from '../../src/cli/deploymentResult.js';
import { runCli } from '../helpers/cli.js';

/**
 * Stopping a real deployment of v2 (a good release) while it changes production: two requests at
 * once (one is refused), a cancellation from the client, a `rollback` update with who and why, and
 * a cancellation through the real Temporal CLI. Each ends `rolled-back` with production exactly at
 * v1, which is also what lets the next case start clean.
 */
let s: Scenario;
const CASE_TIMEOUT = 240_000;

beforeAll(async () => {
  s = await createScenario('cancel', {
    overrides: { health: { path: '/health', timeout: '10 seconds' }, rehearsal: { enabled: false } },
  });
}, 600_000);
afterAll(async () => s?.close());

// A case that failed half-way must not leave its deployment holding the lock for the next one.
const started: WorkflowHandle[] = [];
afterEach(async () => {
  for (const h of started.splice(0)) await h.terminate('test case ended').catch(() => undefined);
});
const start = async (ref: string) => {
  const handle = await s.start(s.request(ref));
  started.push(handle);
  return handle;
};

/** Polls the `progress` query until the deployment is at one of `steps` (by default: changing code or schema). */
async function waitUntilChanging(
  handle: WorkflowHandle,
  steps: string[] = ['install-dependencies', 'migrate'],
): Promise<Progress> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const p = await handle.query<Progress>('progress');
    if (p.currentStep && steps.includes(p.currentStep)) return p;
    if (p.status !== 'running') throw new Error(`the deployment ended (${p.status}) before it changed anything`);
    if (Date.now() > deadline) throw new Error(`still at ${p.currentStep} after 2 minutes`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

/** Which undos ran, in order. */
const undone = (r: DeploymentReport) => r.steps.filter((x) => x.phase === 'rollback').map((x) => x.name);

describe('cancelling a deployment rolls it back', () => {
  it(
    'two concurrent requests: one proceeds, the other is refused naming it and changes nothing; cancelling the first rolls it back',
    async () => {
      const before = await captureProduction(s);
      const [a, b] = await Promise.all([start('v2'), start('v2')]);
      // The refused one ends within seconds; the other goes on deploying.
      const first = await Promise.race([deploymentResult(a).then(() => a), deploymentResult(b).then(() => b)]);
      const refused = first;
      const winner = first === a ? b : a;
      const refusal = await deploymentResult(refused);
      expect(refusal.outcome).toBe('aborted');
      expect(refusal.error).toMatchObject({ step: 'lock', type: 'DeploymentInProgress' });
      expect(refusal.error?.message).toContain(winner.workflowId);
      expect(refusal.rollback).toBeUndefined();
      // It ran nothing that changes production: validated, looked up the lock holder, stopped.
      expect(await scheduledActivities(refused)).toEqual([
        'loadConfig',
        'registeredSearchAttributes',
        'describeDeploymentLock',
      ]);

      const at = await waitUntilChanging(winner);
      await winner.cancel();
      const report = await deploymentResult(winner);
      expect(report.error?.type).toBe('Cancelled');
      // The step the cancel reached: the one seen running, or a later one (moving the staged install
      // in takes milliseconds, so the cancel may arrive once migrate has begun).
      const changingSteps = ['install-dependencies', 'migrate', 'restart', 'verify'];
      expect(changingSteps.slice(changingSteps.indexOf(at.currentStep!))).toContain(report.error?.step);
      // Who cancelled is read from the cancel request in the history: this client's identity.
      const who = `cancelled by ${s.client.options.identity}`;
      expect(report.rollback?.reason).toBe(who);
      expect(report.steps.find((x) => x.name === report.error?.step && x.status === 'failed')?.error).toBe(who);
      // The outcome is the workflow's status: failed, with the report in the failure.
      expect((await winner.describe()).status.name).toBe('FAILED');
      expect((await refused.describe()).status.name).toBe('FAILED');
      expectVerifiedRollback(report);
      expect(undone(report)).toEqual(
        expect.arrayContaining([
          'reactivate-release',
          'reinstall-dependencies',
          'restart-previous',
          'verify-rollback',
          'resume-writes-after-rollback',
        ]),
      );
      await expectBackAtV1(s, before, { smokeRuns: 1 });
      await expectNoSecretsInHistoryOrLog(s, refused);
      await expectNoSecretsInHistoryOrLog(s, winner);
    },
    CASE_TIMEOUT,
  );

  it(
    'a `rollback` update (who and why) rolls back and answers once the rollback is done',
    async () => {
      const before = await captureProduction(s);
      const handle = await start('v2');
      // Later than the cancellations: the migration is applied, so the rollback must restore the database too.
      await waitUntilChanging(handle, ['restart', 'verify']);
      const answer = await handle.executeUpdate('rollback', { args: [{ by: 'ana', reason: 'test' }] });
      expect(answer).toEqual({ outcome: 'rolled-back' });
      const report = await deploymentResult(handle);
      expect(report.outcome).toBe('rolled-back');
      expect(report.error?.type).toBe('RollbackRequested');
      expect(report.migrations?.applied).toEqual(['20260201000000_satshot_integration']);
      expect(report.rollback).toMatchObject({
        requestedBy: 'ana',
        reason: 'rollback requested by ana: test',
        strategy: 'restore-database',
        databaseRestored: true,
      });
      expect(report.steps.filter((x) => x.phase === 'deploy' && x.status === 'failed').map((x) => x.error)).toEqual([
        'rollback requested by ana: test',
      ]);
      expectVerifiedRollback(report);
      await expectBackAtV1(s, before, { smokeRuns: 1 });
      await expectNoSecretsInHistoryOrLog(s, handle);
    },
    CASE_TIMEOUT,
  );

  it(
    '`temporal workflow cancel` from the real Temporal CLI rolls back too',
    async () => {
      const cli = process.env.TEMPORAL_CLI ?? ensureTemporalCli(fileURLToPath(new URL('../..', import.meta.url)));
      expect(cli, 'a Temporal CLI binary').toBeTruthy();
      const before = await captureProduction(s);
      const handle = await start('v2');
      await waitUntilChanging(handle);
      const { stdout } = await promisify(execFile)(
        cli!,
        ['workflow', 'cancel', '--workflow-id', handle.workflowId, '--address', inject('temporalAddress')],
        { timeout: 60_000 },
      );
      expect(stdout.toLowerCase()).toContain('cancel');
      const report = await deploymentResult(handle);
      expect(report.error?.type).toBe('Cancelled');
      expect(report.rollback?.reason).toMatch(/^cancelled by \S*temporal-cli\S*$/); // the CLI's identity (it sends no reason for one workflow)
      // `temporal workflow result` tells a rolled-back deployment from a deployed one.
      const result = await promisify(execFile)(
        cli!,
        ['workflow', 'result', '--workflow-id', handle.workflowId, '--address', inject('temporalAddress')],
        { timeout: 60_000 },
      ).then(
        () => 0,
        (e: { code?: number; stdout?: string }) => e,
      );
      expect(result).not.toBe(0);
      expect((result as { stdout: string }).stdout).toMatch(/Status\s+FAILED/);
      expect((result as { stdout: string }).stdout).toContain('rolled-back: cancelled by');
      expectVerifiedRollback(report);
      await expectBackAtV1(s, before, { smokeRuns: 1 });
      await expectNoSecretsInHistoryOrLog(s, handle);
    },
    CASE_TIMEOUT,
  );
  it(
    '`safe-deploy cancel --by --reason` during a health wait reaches the step within seconds and is told in the report',
    async () => {
      // A release whose app never becomes healthy, and a long health timeout: without the cancel
      // reaching it, restart would wait 2 minutes.
      const original = readFileSync(s.configPath, 'utf8');
      const config = JSON.parse(original) as {
        apps: Record<string, Record<string, { health: { path: string; timeout: string } }>>;
      };
      config.apps['farm-chat']![s.environment]!.health = { path: '/health', timeout: '2 minutes' };
      writeFileSync(s.configPath, JSON.stringify(config, null, 2));
      try {
        const before = await captureProduction(s);
        const handle = await start('v2-broken-start');
        await waitUntilChanging(handle, ['restart']);
        await new Promise((r) => setTimeout(r, 3_000)); // well inside the health wait
        const cancel = await runCli(['cancel', handle.workflowId, '--by', 'ana', '--reason', 'wrong ref', '--wait']);
        expect(cancel.stdout).toContain(`cancel requested for ${handle.workflowId} by ana: wrong ref`);
        expect(cancel.code).toBe(4); // rolled back
        const report = await deploymentResult(handle);
        expect(report.outcome).toBe('rolled-back');
        expect(report.error).toMatchObject({
          type: 'Cancelled',
          step: 'restart',
          message: 'cancelled by ana (safe-deploy cancel): wrong ref',
        });
        expect(report.steps.find((x) => x.name === 'restart')).toMatchObject({
          status: 'failed',
          error: 'cancelled by ana (safe-deploy cancel): wrong ref',
        });
        // From the cancel request to the restart activity's end, in the history's own clock.
        const events = (await handle.fetchHistory()).events ?? [];
        const at = (e: (typeof events)[number]) =>
          Number(e.eventTime!.seconds) * 1000 + Math.floor((e.eventTime!.nanos ?? 0) / 1e6);
        const requested = events.find((e) => e.workflowExecutionCancelRequestedEventAttributes)!;
        const restartScheduled = events.filter(
          (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'restartApplication',
        )[0]!;
        const restartEnded = events.find(
          (e) =>
            String(e.activityTaskCanceledEventAttributes?.scheduledEventId ?? '') === String(restartScheduled.eventId),
        )!;
        expect(restartEnded, 'the restart activity ended as cancelled').toBeDefined();
        expect(at(restartEnded) - at(requested)).toBeLessThanOrEqual(5_000);
        expectVerifiedRollback(report);
        await expectBackAtV1(s, before, { smokeRuns: 1 });
        await recordHistory(handle, 'rolled-back-cancelled');
        const status = await runCli(['status', handle.workflowId]);
        expect(status.code).toBe(4);
        expect(status.stdout).toContain(`deployment ${handle.workflowId} outcome: rolled-back`);
      } finally {
        writeFileSync(s.configPath, original);
      }
    },
    CASE_TIMEOUT,
  );
});
