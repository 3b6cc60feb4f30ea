import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CurrentRelease } from '../../src/cli/current.js';
import type { DeploymentRecord } from '../../src/cli/deployments.js';
import { freezeWorkflowId, type FreezeRecord } from '../../src/shared/freeze.js';
import type { Progress } from '../../src/shared/report.js';
import { eventually, runCli } from '../helpers/cli.js';
import { createScenario, type Scenario } from '../helpers/scenario.js';

/**
 * The operator's view on a real farm-chat production and a real worker, through the built CLI:
 * `current` and `history` after a deployed run and a rolled-back one (approved by one person,
 * rolled back at another's request), then a freeze that refuses a CLI start and a schedule's run,
 * shows in list and status, outlives a worker restart, and lets deployments go once unfrozen.
 */
let s: Scenario;
let v2Id: string;
let v3Id: string;
let scheduleId: string;

const cli = (...args: string[]) => runCli(['--task-queue', s.taskQueue, ...args]);
const appEnv = () => ['--app', 'farm-chat', '--env', s.environment];
const startedId = (stdout: string) => /^started (\S+) on task queue /m.exec(stdout)![1]!;
const progressOf = (id: string) =>
  s.client.workflow
    .getHandle(id)
    .query<Progress>('progress')
    .catch(() => undefined);

beforeAll(async () => {
  s = await createScenario('operator');
  scheduleId = `deploy-farm-chat-${s.environment}`;
}, 600_000);
afterAll(async () => {
  await s?.client.schedule
    .getHandle(scheduleId)
    .delete()
    .catch(() => undefined);
  await s?.client.workflow
    .getHandle(freezeWorkflowId('farm-chat', s?.environment ?? ''))
    .terminate('test over')
    .catch(() => undefined);
  await s?.close();
});

describe('current and history after a deployed and a rolled-back run', () => {
  it('deploys v2 (ana: "Satshot release")', { timeout: 600_000 }, async () => {
    const r = await cli('start', ...appEnv(), '--ref', 'v2', '--requested-by', 'ana', '--reason', 'Satshot release');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    v2Id = startedId(r.stdout);
    // The first deployment of this app+environment: the step and the time, nothing to estimate from.
    expect(r.stdout).toMatch(/\n {2}step \d+ · \S+ \S+ elapsed \(no earlier deployment of this app and environment/);
    expect(r.stdout).toMatch(/\n→ check-disk: ok \([\d.]+ s\) — [\d.]+ (kB|MB|GB|TB) free\n/);
  });

  it(
    "v3-drop-satshot-tokens: approved by carl, then rolled back at dana's request; status shows who asked, why and the approval",
    { timeout: 900_000 },
    async () => {
      // Followed as an operator runs it, while others approve and roll it back from their terminals.
      let followed = '';
      const following = runCli(
        [
          '--task-queue',
          s.taskQueue,
          'start',
          ...appEnv(),
          '--ref',
          'v3-drop-satshot-tokens',
          '--requested-by',
          'bea',
          '--reason',
          'drop the unused tokens',
          '--monitor-minutes',
          '30',
        ],
        { onStdout: (text) => (followed = text) },
      );
      v3Id = await eventually('the start line', async () => /^started (\S+) on task queue /m.exec(followed)?.[1]);
      await eventually(
        'the migration-risk gate',
        async () => ((await progressOf(v3Id))?.waitingFor?.gate === 'migration-risk' ? true : undefined),
        300_000,
      );
      const waiting = await cli('status', v3Id);
      expect(waiting.stdout).toContain('  requested by bea: drop the unused tokens\n');
      const approve = await cli('approve', v3Id, '--by', 'carl', '--reason', 'tokens unused since v3');
      expect(approve.code, approve.stderr).toBe(0);
      await eventually(
        'the monitoring window',
        async () => ((await progressOf(v3Id))?.currentStep === 'monitor' ? true : undefined),
        300_000,
      );
      const monitoring = await cli('status', v3Id, '--json');
      expect(monitoring.json()).toMatchObject({
        request: { requestedBy: 'bea', reason: 'drop the unused tokens' },
        approvals: [{ gate: 'migration-risk', decision: 'approved', by: 'carl', reason: 'tokens unused since v3' }],
      });
      expect((await cli('status', v3Id)).stdout).toMatch(
        /\n {2}approved migration-risk by carl at \S+: tokens unused since v3\n/,
      );
      const rollback = await cli('rollback', v3Id, '--by', 'dana', '--reason', 'login errors since the deploy');
      expect(rollback.code, rollback.stdout + rollback.stderr).toBe(4);
      // The rollback's steps stream as they run, and only those (not the deployment's steps again).
      expect(rollback.stdout).toMatch(/\n↩ restore-database: ok \([\d.]+ s\)/);
      expect(rollback.stdout).toMatch(/\n↩ verify-rollback: ok \([\d.]+ s\)/);
      expect(rollback.stdout).not.toMatch(/\n→ migrate: /);
      const start = await following;
      expect(start.code).toBe(4);
      // Estimated from the v2 deployment: step N of ~M, the elapsed time, the estimate.
      expect(start.stdout).toMatch(
        /\n {2}step \d+ of ~\d+ · \S+ \S+ elapsed · (about .+ left|longer than usual) \(the last deployment: .+, monitoring aside\)\n/,
      );
      const ended = await cli('status', v3Id);
      expect(ended.stdout).toContain('\n  requested by bea: drop the unused tokens\n');
      expect(ended.stdout).toMatch(/\n {2}approved migration-risk by carl at \S+: tokens unused since v3\n/);
    },
  );

  it('current: v2 is live, since its verification, deployed by ana from v1 in the v2 deployment', async () => {
    const r = await cli('current', ...appEnv(), '--json');
    expect(r.code, r.stderr).toBe(0);
    const current = r.json<CurrentRelease>();
    expect(current).toMatchObject({
      app: 'farm-chat',
      environment: s.environment,
      release: { name: 'v2', commit: s.origin.tags.v2 },
      previous: { name: 'v1', commit: s.origin.tags.v1 },
      requestedBy: 'ana',
      reason: 'Satshot release',
      workflowId: v2Id,
      inProgress: [],
      rollbackFailed: [],
    });
    expect(s.head()).toBe(s.origin.tags.v2); // what it says is what the host runs
    const v2End = (await s.client.workflow.getHandle(v2Id).describe()).closeTime!;
    expect(Date.parse(current.since)).toBeLessThanOrEqual(v2End.getTime());
    const text = await cli('current', ...appEnv());
    expect(text.stdout).toContain(`farm-chat ${s.environment}: v2 (${s.origin.tags.v2!.slice(0, 12)})\n`);
    expect(text.stdout).toContain('  by:         requested by ana: Satshot release\n');
    expect(text.stdout).toContain(`  deployment: ${v2Id} (from v1, ${s.origin.tags.v1!.slice(0, 12)})\n`);
  });

  it('history: newest first, who, why, from → to, the approval, the rollback and its reason, outcome, duration', async () => {
    const r = await cli('history', ...appEnv(), '--json');
    expect(r.code, r.stderr).toBe(0);
    const { deployments } = r.json<{ deployments: DeploymentRecord[] }>();
    expect(deployments.map((d) => [d.workflowId, d.outcome])).toEqual([
      [v3Id, 'rolled-back'],
      [v2Id, 'deployed'],
    ]);
    const [v3, v2] = deployments as [DeploymentRecord, DeploymentRecord];
    expect(v3).toMatchObject({
      requestedBy: 'bea',
      reason: 'drop the unused tokens',
      release: { from: { name: 'v2' }, to: { name: 'v3-drop-satshot-tokens' } },
      approvals: [{ gate: 'migration-risk', decision: 'approved', by: 'carl', reason: 'tokens unused since v3' }],
      rollback: { requestedBy: 'dana', reason: 'rollback requested by dana: login errors since the deploy' },
    });
    expect(v2).toMatchObject({ requestedBy: 'ana', reason: 'Satshot release', approvals: [] });
    expect(v2.durationMs).toBeGreaterThan(0);
    const text = (await cli('history', ...appEnv())).stdout;
    expect(text).toMatch(
      new RegExp(`rolled-back {2}v2 \\(\\w{7}\\) → v3-drop-satshot-tokens \\(\\w{7}\\) {2}.+ {2}${v3Id}\n`),
    );
    expect(text).toContain('  requested by bea: drop the unused tokens\n');
    expect(text).toMatch(/ {2}approved migration-risk by carl at \S+: tokens unused since v3\n/);
    expect(text).toContain(
      "  rolled back at dana's request: rollback requested by dana: login errors since the deploy\n",
    );
    expect(text.indexOf(v3Id)).toBeLessThan(text.indexOf(v2Id));
    const limited = (await cli('history', ...appEnv(), '--limit', '1', '--json')).json<{ deployments: unknown[] }>();
    expect(limited.deployments).toHaveLength(1);
  });
});

describe('a freeze', () => {
  it('is refused a second time, naming the first', async () => {
    const r = await cli('freeze', ...appEnv(), '--reason', 'quarter close — 月末', '--by', 'erin');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`froze farm-chat ${s.environment}: quarter close — 月末 (by erin)`);
    const again = await cli('freeze', ...appEnv(), '--reason', 'another', '--by', 'fay');
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/is already frozen by erin since \S+: quarter close — 月末; nothing changed/);
  });

  it('refuses a CLI start (exit 2, reason and who), starting nothing', async () => {
    const before = (await cli('history', ...appEnv(), '--json')).json<{ deployments: unknown[] }>().deployments.length;
    const r = await cli('start', ...appEnv(), '--ref', 'v2');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(
        `^refused: farm-chat ${s.environment} is frozen by erin since \\S+: quarter close — 月末; nothing was started`,
      ),
    );
    expect(r.stderr).not.toMatch(/retry/i);
    const after = (await cli('history', ...appEnv(), '--json')).json<{ deployments: unknown[] }>().deployments.length;
    expect(after).toBe(before);
  });

  it(
    'lets a dry run through; its text shows the lint findings, the question a real run would ask, and the rollback plan',
    { timeout: 600_000 },
    async () => {
      const dry = await cli('start', ...appEnv(), '--ref', 'v3-drop-satshot-tokens', '--dry-run');
      expect(dry.code, dry.stdout + dry.stderr).toBe(0);
      expect(dry.stdout).toMatch(
        /\n {2}lint: {7}\S+ destructive\n(?: {4}.+\n)* {4}\S+:\d+ drop-table \(destructive\): drops table satshot_tokens/,
      );
      expect(dry.stdout).toMatch(/\n {2}would ask:\n {4}migration-risk: .*satshot_tokens/);
      expect(dry.stdout).toMatch(/\n {2}rollback plan: restore-database — /);
      expect(s.head()).toBe(s.origin.tags.v2);
    },
  );

  it('is shown by list (text and JSON) and by status', async () => {
    const list = await cli('list', ...appEnv());
    expect(list.stdout).toMatch(
      new RegExp(`\nfrozen: farm-chat ${s.environment} — frozen by erin since \\S+: quarter close — 月末\n`),
    );
    const json = (await cli('list', ...appEnv(), '--json')).json<{ freezes: FreezeRecord[] }>();
    expect(json.freezes).toEqual([
      expect.objectContaining({ app: 'farm-chat', environment: s.environment, by: 'erin' }),
    ]);
    const other = (await cli('list', '--app', 'farm-chat', '--env', 'elsewhere', '--json')).json<{
      freezes: unknown[];
    }>();
    expect(other.freezes).toEqual([]);
    const status = await cli('status', v2Id);
    expect(status.stdout).toMatch(/\n {2}frozen: farm-chat \S+ is frozen by erin since \S+: quarter close — 月末\n/);
  });

  it('refuses a schedule-triggered run: the workflow fails at load-config, DeploymentFrozen, not retryable', async () => {
    // Created (and validated by the worker) during the freeze: only its deployments are refused.
    const created = await cli(
      'schedule',
      'create',
      ...appEnv(),
      '--ref',
      'v2',
      '--at',
      'sun 03:00',
      '--note',
      'v2 again',
    );
    expect(created.code, created.stdout + created.stderr).toBe(0);
    const trigger = await cli('schedule', 'trigger', scheduleId, '--json');
    expect(trigger.code, trigger.stderr).toBe(0);
    const { workflowId } = trigger.json<{ workflowId: string }>();
    const err = await s.client.workflow
      .getHandle(workflowId)
      .result()
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause).toMatchObject({ type: 'DeploymentFrozen', nonRetryable: true });
    expect(cause!.message).toMatch(
      new RegExp(
        `^\\[load-config\\] farm-chat ${s.environment} is frozen by erin since \\S+: quarter close — 月末; nothing was changed\\. Remedy: .*safe-deploy unfreeze`,
      ),
    );
    const history = (await cli('history', ...appEnv(), '--json')).json<{ deployments: DeploymentRecord[] }>();
    expect(history.deployments[0]).toMatchObject({ workflowId, scheduleId, status: 'FAILED' });
    expect(history.deployments[0]!.error).toContain('frozen by erin');
    expect(s.head()).toBe(s.origin.tags.v2);
  });

  it('outlives a worker restart: still refused, and the freeze workflow still runs', { timeout: 120_000 }, async () => {
    await s.restartWorker();
    const d = await s.client.workflow.getHandle(freezeWorkflowId('farm-chat', s.environment)).describe();
    expect(d.status.name).toBe('RUNNING');
    expect(d.type).toBe('deploymentFreeze');
    const r = await cli('start', ...appEnv(), '--ref', 'v2');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('frozen by erin');
  });

  it('unfreeze lets the schedule deploy again; current then names that run', { timeout: 600_000 }, async () => {
    const r = await cli('unfreeze', ...appEnv(), '--by', 'erin', '--reason', 'quarter closed');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^unfroze farm-chat \S+ \(by erin: quarter closed\); it was frozen by erin/);
    const ended = await s.client.workflow.getHandle(freezeWorkflowId('farm-chat', s.environment)).result();
    expect(ended).toMatchObject({ by: 'erin', unfrozenBy: 'erin', unfrozenReason: 'quarter closed' });
    expect((await cli('list', ...appEnv(), '--json')).json<{ freezes: unknown[] }>().freezes).toEqual([]);
    const again = await cli('unfreeze', ...appEnv());
    expect(again.stdout).toContain('is not frozen; nothing changed');

    const trigger = await cli('schedule', 'trigger', scheduleId, '--json');
    expect(trigger.code, trigger.stderr).toBe(0);
    const { workflowId } = trigger.json<{ workflowId: string }>();
    const status = await eventually(
      'the scheduled deployment to end',
      async () => {
        const st = await cli('status', workflowId, '--json');
        return st.json<{ status: string }>().status === 'RUNNING' ? undefined : st;
      },
      540_000,
    );
    expect(status.code, status.stdout).toBe(0);
    const current = (await cli('current', ...appEnv(), '--json')).json<CurrentRelease>();
    expect(current).toMatchObject({ workflowId, release: { name: 'v2' }, reason: 'v2 again' });
  });
});
