import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Progress } from '../../src/shared/report.js';
import { eventually } from '../helpers/cli.js';
import { backupFiles, createScenario, type Scenario } from '../helpers/scenario.js';
import { flagValue, readmeCommands, runTemporal, withFlag, type TemporalRun } from '../helpers/temporalCli.js';

/**
 * The README's Temporal CLI commands, run as written through the real `temporal` binary against
 * a real farm-chat production and worker: only the workflow id, the task queue and the
 * environment's name are this test's own. v3-drop-satshot-tokens drops a table, so the deployment
 * waits at the migration-risk gate until someone approves it with `update execute`.
 */
let s: Scenario;
/** What v2's deployment left in the backup folder (its own backup). */
let backupsAfterV2: string[];
const readme = readmeCommands('With the Temporal CLI:');
const command = (verb: string) => {
  const found = readme.find((argv) => argv.slice(1, verb.split(' ').length + 1).join(' ') === verb);
  if (!found) throw new Error(`the README's Temporal CLI block has no "temporal ${verb}"`);
  return found.slice(1);
};

/** The README's command for `verb`, aimed at this test's workflow, queue and environment. */
function ours(verb: string, workflowId: string): string[] {
  let argv = withFlag(command(verb), '--workflow-id', workflowId);
  if (verb === 'workflow start') {
    argv = withFlag(argv, '--task-queue', s.taskQueue);
    const input = JSON.parse(flagValue(argv, '--input')!) as Record<string, unknown>;
    argv = withFlag(argv, '--input', JSON.stringify({ ...input, environment: s.environment }));
  }
  return argv;
}

/** The JSON document `query` prints after its label line. */
const queried = <T>(r: TemporalRun): T => JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as T;
/** The workflow's result, from `result`'s `Result  {…}` line (after `Status  COMPLETED`). */
function resultOf<T>(r: TemporalRun): T {
  expect(r.stdout).toMatch(/^\s*Status\s+COMPLETED$/m);
  return JSON.parse(/^\s*Result\s+(\{.*\})$/m.exec(r.stdout)![1]!) as T;
}

async function waitingAtGate(workflowId: string): Promise<Progress> {
  return eventually(
    'the deployment to wait at the migration-risk gate',
    async () => {
      const r = await runTemporal(ours('workflow query', workflowId));
      if (r.code !== 0) return undefined;
      const p = queried<Progress>(r);
      return p.waitingFor ? p : undefined;
    },
    120_000,
  );
}

beforeAll(async () => {
  s = await createScenario('tcli', {
    overrides: { rehearsal: { enabled: false }, monitor: { minutes: 0, interval: '2 seconds' } },
  });
  // The README's state: production on v2 with Satshot tokens stored, which v3 drops.
  expect((await s.deploy(s.request('v2'))).report.outcome).toBe('deployed');
  await s.query(`INSERT INTO satshot_tokens ("userId", token) SELECT id, 'tok-' || id FROM users WHERE id <= 3`);
  backupsAfterV2 = backupFiles(s);
}, 600_000);
afterAll(async () => s?.close());

describe("the README's Temporal CLI commands on a real deployment", () => {
  it('the README shows start, query, update execute (approve), result and cancel', () => {
    expect(
      readme.map((argv) =>
        argv
          .slice(0, 4)
          .filter((w) => !w.startsWith('-'))
          .join(' '),
      ),
    ).toEqual([
      'temporal workflow start',
      'temporal workflow query',
      'temporal workflow update execute',
      'temporal workflow result',
      'temporal workflow cancel',
    ]);
    expect(flagValue(command('workflow update execute'), '--name')).toBe('approve');
    expect(JSON.parse(flagValue(command('workflow start'), '--input')!)).toMatchObject({
      app: 'farm-chat',
      environment: 'production',
      ref: 'v3-drop-satshot-tokens',
    });
  });

  it('cancel while it waits at the gate: the workflow ends aborted and nothing was changed', async () => {
    const workflowId = `deploy-farm-chat-tcli-cancel-${randomUUID().slice(0, 6)}`;
    const started = await runTemporal(ours('workflow start', workflowId));
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toMatch(new RegExp(`WorkflowId\\s+${workflowId}`));
    await waitingAtGate(workflowId);

    const cancel = await runTemporal(ours('workflow cancel', workflowId));
    expect(cancel.code, cancel.stderr).toBe(0);
    // The outcome is the status: `temporal workflow result` fails (exit non-zero, Status FAILED)
    // with the one-line outcome, saying who cancelled.
    const result = await runTemporal(ours('workflow result', workflowId));
    expect(result.code).not.toBe(0);
    expect(result.stdout).toMatch(/^\s*Status\s+FAILED$/m);
    expect(result.stdout).toMatch(/aborted: cancelled by \S+/);
    expect(s.head()).toBe(s.origin.tags.v2);
    expect(backupFiles(s)).toEqual(backupsAfterV2);
  }, 180_000);

  it('query shows the migration-risk gate; update execute approve lets it deploy; a second approve is refused', async () => {
    const workflowId = `deploy-farm-chat-tcli-approve-${randomUUID().slice(0, 6)}`;
    const started = await runTemporal(ours('workflow start', workflowId));
    expect(started.code, started.stderr).toBe(0);

    const progress = await waitingAtGate(workflowId);
    expect(progress.currentStep).toBe('approval');
    expect(progress.waitingFor).toMatchObject({ kind: 'approval', gate: 'migration-risk' });
    expect(progress.waitingFor!.detail).toMatch(/20260301000000_drop_satshot_tokens is destructive: drop-table/);
    expect(s.head()).toBe(s.origin.tags.v2);

    const approve = await runTemporal(ours('workflow update execute', workflowId));
    expect(approve.code, approve.stderr).toBe(0);
    // The update's answer, {gate, decision}, as the Temporal CLI prints it.
    expect(approve.stdout).toMatch(/^\s*Result\s+map\[decision:approved gate:migration-risk\]$/m);

    // The gate closed with the first answer: the validator refuses the second before history.
    const again = await runTemporal(ours('workflow update execute', workflowId));
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('this deployment is not waiting for a decision');

    const result = await runTemporal(ours('workflow result', workflowId));
    expect(result.code, result.stderr).toBe(0);
    const report = resultOf<{
      outcome: string;
      decisions: { gate: string; decision: string; by: string; reason: string }[];
    }>(result);
    expect(report.outcome).toBe('deployed');
    const input = JSON.parse(flagValue(command('workflow update execute'), '--input')!) as {
      by: string;
      reason: string;
    };
    expect(report.decisions).toEqual([
      expect.objectContaining({ gate: 'migration-risk', decision: 'approved', by: input.by, reason: input.reason }),
    ]);
    expect(s.head()).toBe(s.origin.tags['v3-drop-satshot-tokens']);
    expect(await s.query("SELECT to_regclass('public.satshot_tokens') AS t")).toEqual([{ t: null }]);
  }, 300_000);
});
