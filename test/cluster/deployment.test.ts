import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { TEMPORAL_SERVER_VERSION } from '../../scripts/lib/temporalServer.js';
import type { DeploymentReport } from '../../src/shared/report.js';
import { eventually } from '../helpers/cli.js';
import { createScenario, type Scenario } from '../helpers/scenario.js';
import { runTemporal } from '../helpers/temporalCli.js';

/**
 * safe-deploy on a real Temporal server (history, matching and visibility on PostgreSQL, as
 * docker-compose.yml runs it) rather than the dev server: farm-chat v1 → v2 through a real
 * worker, and the deployment found again by its search attributes in the SQL visibility store.
 */
const skipReason = inject('clusterSkipReason');
if (skipReason) console.log(`test/cluster is skipped: ${skipReason}`);

describe.skipIf(Boolean(skipReason))(skipReason ? `skipped, the Temporal server could not be built: ${skipReason}` : `farm-chat v1 → v2 on Temporal server v${TEMPORAL_SERVER_VERSION} with PostgreSQL`, () => {
  let s: Scenario;
  let report: DeploymentReport;
  let workflowId: string;

  beforeAll(async () => {
    s = await createScenario('cluster-happy');
    const run = await s.deploy(s.request('v2'));
    report = run.report;
    workflowId = run.handle.workflowId;
  }, 600_000);
  afterAll(async () => s?.close());

  it('is the real server, not the dev server: the pinned version, PostgreSQL for history and visibility', async () => {
    const info = await s.client.connection.workflowService.getClusterInfo({});
    expect(info.serverVersion).toBe(TEMPORAL_SERVER_VERSION);
    expect(info.persistenceStore).toBe('postgres12');
    expect(info.visibilityStore).toBe('postgres12');
  });

  it('ends deployed, with every step ok', () => {
    expect(report.error).toBeUndefined();
    expect(report.outcome).toBe('deployed');
    expect(report.release).toMatchObject({ from: { commit: s.origin.tags.v1, name: 'v1' }, to: { commit: s.origin.tags.v2, name: 'v2' } });
    expect(report.steps.every((x) => x.status === 'ok')).toBe(true);
    expect(report.migrations?.applied).toEqual(['20260201000000_satshot_integration']);
  });

  it('temporal workflow list --query \'DeployApp="farm-chat"\' finds it, with its outcome, in the visibility store', async () => {
    const query = `DeployApp="farm-chat" AND DeployEnvironment="${s.environment}" AND DeployOutcome="deployed"`;
    // Visibility is eventually consistent: the outcome is upserted a moment before the workflow closes.
    const found = await eventually('the deployment in the SQL visibility store', async () => {
      const run = await runTemporal(['workflow', 'list', '--query', query, '--output', 'json']);
      if (run.code !== 0) throw new Error(`temporal workflow list failed: ${run.stderr}`);
      const rows = JSON.parse(run.stdout || '[]') as { execution: { workflowId: string }; status: string }[];
      return rows.length ? rows : undefined;
    }, 30_000);
    expect(found.map((w) => [w.execution.workflowId, w.status])).toEqual([[workflowId, 'WORKFLOW_EXECUTION_STATUS_COMPLETED']]);
  });
});
