import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { ensureTemporalCli } from '../../scripts/lib/temporalCli.js';
import type { DeploymentReport, Progress } from '../../src/shared/report.js';
import { captureProduction, expectBackAtV1, expectNoSecretsInHistoryOrLog, expectVerifiedRollback } from '../helpers/productionState.js';
import { createScenario, scheduledActivities, type Scenario } from '../helpers/scenario.js';

/**
 * Stopping a real deployment of v2 (a good release) while it changes production: two requests at
 * once (one is refused), a cancellation from the client, a `rollback` update with who and why, and
 * a cancellation through the real Temporal CLI. Each ends `rolled-back` with production exactly at
 * v1, which is also what lets the next case start clean.
 */
let s: Scenario;
const CASE_TIMEOUT = 240_000;

beforeAll(async () => {
  s = await createScenario('cancel', { overrides: { health: { path: '/health', timeout: '10 seconds' }, rehearsal: { enabled: false } } });
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
async function waitUntilChanging(handle: WorkflowHandle, steps: string[] = ['install-dependencies', 'migrate']): Promise<Progress> {
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
  it('two concurrent requests: one proceeds, the other is refused naming it and changes nothing; cancelling the first rolls it back', async () => {
    const before = await captureProduction(s);
    const [a, b] = await Promise.all([start('v2'), start('v2')]);
    // The refused one ends within seconds; the other goes on deploying.
    const first = await Promise.race([a.result().then(() => a), b.result().then(() => b)]);
    const refused = first;
    const winner = first === a ? b : a;
    const refusal = (await refused.result()) as DeploymentReport;
    expect(refusal.outcome).toBe('aborted');
    expect(refusal.error).toMatchObject({ step: 'lock', type: 'DeploymentInProgress' });
    expect(refusal.error?.message).toContain(winner.workflowId);
    expect(refusal.rollback).toBeUndefined();
    // It ran nothing that changes production: validated, looked up the lock holder, stopped.
    expect(await scheduledActivities(refused)).toEqual(['loadConfig', 'registeredSearchAttributes', 'describeDeploymentLock']);

    const at = await waitUntilChanging(winner);
    await winner.cancel();
    const report = (await winner.result()) as DeploymentReport;
    expect(report.error?.type).toBe('Cancelled');
    expect(report.error?.step).toBe(at.currentStep);
    expect(report.rollback?.reason).toBe('the deployment was cancelled');
    expectVerifiedRollback(report);
    expect(undone(report)).toEqual(expect.arrayContaining(['reactivate-release', 'reinstall-dependencies', 'restart-previous', 'verify-rollback', 'resume-writes-after-rollback']));
    await expectBackAtV1(s, before, { smokeRuns: 1 });
    await expectNoSecretsInHistoryOrLog(s, refused);
    await expectNoSecretsInHistoryOrLog(s, winner);
  }, CASE_TIMEOUT);

  it('a `rollback` update (who and why) rolls back and answers once the rollback is done', async () => {
    const before = await captureProduction(s);
    const handle = await start('v2');
    // Later than the cancellations: the migration is applied, so the rollback must restore the database too.
    await waitUntilChanging(handle, ['restart', 'verify']);
    const answer = await handle.executeUpdate('rollback', { args: [{ by: 'ana', reason: 'test' }] });
    expect(answer).toEqual({ outcome: 'rolled-back' });
    const report = (await handle.result()) as DeploymentReport;
    expect(report.outcome).toBe('rolled-back');
    expect(report.error?.type).toBe('RollbackRequested');
    expect(report.migrations?.applied).toEqual(['20260201000000_satshot_integration']);
    expect(report.rollback).toMatchObject({ requestedBy: 'ana', reason: 'rollback requested by ana: test', strategy: 'restore-database', databaseRestored: true });
    expectVerifiedRollback(report);
    await expectBackAtV1(s, before, { smokeRuns: 1 });
    await expectNoSecretsInHistoryOrLog(s, handle);
  }, CASE_TIMEOUT);

  it('`temporal workflow cancel` from the real Temporal CLI rolls back too', async () => {
    const cli = process.env.TEMPORAL_CLI ?? ensureTemporalCli(fileURLToPath(new URL('../..', import.meta.url)));
    expect(cli, 'a Temporal CLI binary').toBeTruthy();
    const before = await captureProduction(s);
    const handle = await start('v2');
    await waitUntilChanging(handle);
    const { stdout } = await promisify(execFile)(cli!, ['workflow', 'cancel', '--workflow-id', handle.workflowId, '--address', inject('temporalAddress')], { timeout: 60_000 });
    expect(stdout.toLowerCase()).toContain('cancel');
    const report = (await handle.result()) as DeploymentReport;
    expect(report.error?.type).toBe('Cancelled');
    expect(report.rollback?.reason).toBe('the deployment was cancelled');
    expectVerifiedRollback(report);
    await expectBackAtV1(s, before, { smokeRuns: 1 });
    await expectNoSecretsInHistoryOrLog(s, handle);
  }, CASE_TIMEOUT);
});
