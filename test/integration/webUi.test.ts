import { Buffer } from 'node:buffer';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentReport } from '../../src/shared/report.js';
import { DEPLOY_APP, DEPLOY_ENVIRONMENT, DEPLOY_OUTCOME, DEPLOY_REF } from '../../src/shared/searchAttributes.js';
import { eventually, runCli } from '../helpers/cli.js';
import { createScenario, type Scenario } from '../helpers/scenario.js';
import { deploymentResult } from '../../src/cli/deploymentResult.js';

/**
 * What the Temporal Web UI shows of a deployment, read through the client as the UI reads it:
 * the Deploy* search attributes (and the visibility queries that find a deployment by them), the
 * static summary the CLI sets, the current details (the runbook with a mark per step), and a
 * human summary on every activity in the history. One rolled-back deployment: v2-broken-migration
 * started with `safe-deploy start`, its migration failing half-way on production.
 */
let s: Scenario;
let handle: WorkflowHandle;
let report: DeploymentReport;
const REF = 'v2-broken-migration';

beforeAll(async () => {
  s = await createScenario('webui', { overrides: { rehearsal: { enabled: false } } });
  const started = await runCli([
    '--task-queue',
    s.taskQueue,
    'start',
    '--app',
    'farm-chat',
    '--env',
    s.environment,
    '--ref',
    REF,
    '--reason',
    'Satshot integration',
    '--no-follow',
    '--json',
  ]);
  expect(started.code, started.stderr).toBe(0);
  handle = s.client.workflow.getHandle(started.json<{ workflowId: string }>().workflowId);
  report = await deploymentResult(handle);
}, 600_000);
afterAll(async () => s?.close());

const utf8 = (data?: Uint8Array | null) =>
  data ? (JSON.parse(Buffer.from(data).toString('utf8')) as unknown) : undefined;

describe('the Web UI reads like the runbook', () => {
  it('the deployment rolled back', () => {
    expect(report.outcome).toBe('rolled-back');
    expect(report.error).toMatchObject({ step: 'migrate', type: 'MigrationFailed' });
  });

  it('a visibility query on the Deploy* search attributes finds it by app and outcome', async () => {
    const query = "WorkflowType = 'safeDeployment' AND DeployApp = 'farm-chat' AND DeployOutcome = 'rolled-back'";
    // Visibility is eventually consistent: the outcome was upserted a moment before the workflow closed.
    const found = await eventually('the deployment in the visibility store', async () => {
      for await (const w of s.client.workflow.list({ query })) if (w.workflowId === handle.workflowId) return w;
      return undefined;
    });
    expect(found.status.name).toBe('FAILED'); // the outcome is the status: a rolled-back deployment is a failed workflow (red in the Web UI)
    const narrow = `${query} AND DeployEnvironment = '${s.environment}' AND DeployRef = '${REF}'`;
    const ids: string[] = [];
    for await (const w of s.client.workflow.list({ query: narrow })) ids.push(w.workflowId);
    expect(ids).toEqual([handle.workflowId]);
    // And the same through the CLI, which builds that query from its flags.
    const list = await runCli([
      'list',
      '--app',
      'farm-chat',
      '--env',
      s.environment,
      '--outcome',
      'rolled-back',
      '--json',
    ]);
    expect(list.json<{ query: string; deployments: { workflowId: string; ref: string; outcome: string }[] }>()).toEqual(
      {
        query: `WorkflowType = 'safeDeployment' AND DeployApp = 'farm-chat' AND DeployEnvironment = '${s.environment}' AND DeployOutcome = 'rolled-back'`,
        deployments: [expect.objectContaining({ workflowId: handle.workflowId, ref: REF, outcome: 'rolled-back' })],
        freezes: [], // issue 15.6: list shows the app's freezes too; none here
      },
    );
    const text = await runCli(['list', '--app', 'farm-chat', '--env', s.environment, '--outcome', 'rolled-back']);
    expect(text.stdout.split('\n')[0]).toMatch(/^WORKFLOW ID +STATUS +APP +ENV +REF +OUTCOME +STARTED$/);
    expect(text.stdout.split('\n')[1]).toMatch(
      new RegExp(
        `^${handle.workflowId} +FAILED +farm-chat +${s.environment} +${REF} +rolled-back +\\w{3} \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC$`,
      ),
    );
  });

  it('describe shows the four search attributes and the static summary the CLI set', async () => {
    const d = await handle.describe();
    const sa = d.typedSearchAttributes;
    expect([sa.get(DEPLOY_APP), sa.get(DEPLOY_ENVIRONMENT), sa.get(DEPLOY_REF), sa.get(DEPLOY_OUTCOME)]).toEqual([
      'farm-chat',
      s.environment,
      REF,
      'rolled-back',
    ]);
    expect(await d.staticSummary()).toBe(`Deploy farm-chat ${s.environment} → ${REF}`);
  });

  it('the current details are the runbook, a mark per step, the rollback steps marked ↩', async () => {
    const meta = await handle.query<{ currentDetails: string }>('__temporal_workflow_metadata');
    const lines = meta.currentDetails.split('\n');
    expect(lines[0]).toBe(`**farm-chat ${s.environment} → ${REF}: rolled-back**`);
    expect(lines).toContain(
      `✅ Back up the farm-chat ${s.environment} database (${(report.steps.find((x) => x.name === 'backup')!.durationMs! / 1000).toFixed(1)} s)`,
    );
    expect(lines.some((l) => l.startsWith('❌ Apply migrations (prisma migrate deploy) ('))).toBe(true);
    expect(
      lines.some((l) => l.startsWith(`✅ ↩ Restore the farm-chat ${s.environment} database from the backup (`)),
    ).toBe(true);
    expect(lines.some((l) => l.startsWith('✅ ↩ Verify v1 is live and whole again ('))).toBe(true);
    // One line per step of the report, in its order.
    expect(lines.slice(2)).toHaveLength(report.steps.length);
  });

  it('every activity in the history carries a human summary, the compensations too', async () => {
    const history = await handle.fetchHistory();
    const scheduled = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes);
    const summaries = scheduled.map((e) => [
      e.activityTaskScheduledEventAttributes!.activityType!.name,
      utf8(e.userMetadata?.summary?.data),
    ]);
    expect(
      summaries.every(([, summary]) => typeof summary === 'string' && summary.length > 0),
      JSON.stringify(summaries),
    ).toBe(true);
    expect(summaries).toEqual(
      expect.arrayContaining([
        ['backupDatabase', `Back up the farm-chat ${s.environment} database`],
        ['migrateDatabase', 'Apply migrations (prisma migrate deploy)'],
        ['restoreDatabase', `Restore the farm-chat ${s.environment} database from the backup`],
        ['activateRelease', 'Put v1 back'],
        ['installDependencies', "Reinstall v1's dependencies"],
        ['restartApplication', `Restart farm-chat ${s.environment} on v1`],
        ['verifyDeployment', 'Verify v1 is live and whole again'],
      ]),
    );
  });
});
