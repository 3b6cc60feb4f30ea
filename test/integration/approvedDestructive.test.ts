import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploymentResult } from '../../src/cli/deploymentResult.js';
import type { DeploymentReport, Progress } from '../../src/shared/report.js';
import { eventually, runCli } from '../helpers/cli.js';
import { createScenario, type Scenario } from '../helpers/scenario.js';

/**
 * Issue 13.3: from the state the demo leaves (production on v2, Satshot tokens stored), the
 * README's destructive example v3-drop-satshot-tokens waited for approval, ran after `approve`,
 * then failed its own verification (`rows public.satshot_tokens: table is gone`) and rolled back.
 * The verification now follows the release: a table an approved migration drops is expected gone,
 * and the report says which rows were approved away, and by whom.
 */
let s: Scenario;
let report: DeploymentReport;
let usersBefore: unknown[];

beforeAll(async () => {
  s = await createScenario('approvedloss');
  const v2 = await s.deploy(s.request('v2'));
  expect(v2.report.outcome).toBe('deployed');
  await s.query(`INSERT INTO satshot_tokens ("userId", token) SELECT id, 'tok-' || id FROM users WHERE id <= 5`);
  usersBefore = await s.query('SELECT id, email, "satshotConnected" FROM users ORDER BY id');

  const handle = await s.start(s.request('v3-drop-satshot-tokens', { requestedBy: 'ana' }));
  await eventually(
    'the deployment to wait at the migration-risk gate',
    async () => {
      const p = await handle.query<Progress>('progress').catch(() => undefined);
      return p?.waitingFor?.gate === 'migration-risk' ? p : undefined;
    },
    180_000,
  );
  const approve = await runCli([
    'approve',
    handle.workflowId,
    '--by',
    'ana',
    '--reason',
    'tokens unused since v3; a dump is kept',
  ]);
  expect(approve.code, approve.stderr).toBe(0);
  report = await deploymentResult(handle);
}, 900_000);
afterAll(async () => s?.close());

describe('an approved destructive release deploys', () => {
  it('ends deployed, every check passing', () => {
    expect(report.outcome).toBe('deployed');
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.decisions).toEqual([
      expect.objectContaining({ gate: 'migration-risk', decision: 'approved', by: 'ana' }),
    ]);
  });

  it('says which rows were approved away, and does not count them as lost', () => {
    expect(report.approvedDataLoss).toEqual([{ table: 'public.satshot_tokens', rowsAtBackup: 5, approvedBy: 'ana' }]);
    expect(report.checks.map((c) => c.name)).not.toContain('rows public.satshot_tokens');
    // The other tables are still held to every row they had.
    expect(report.checks.find((c) => c.name === 'rows public.users')).toMatchObject({ ok: true });
  });

  it('really dropped the table and kept every other row', async () => {
    expect(await s.query(`SELECT to_regclass('satshot_tokens')::text AS t`)).toEqual([{ t: null }]);
    const users = await s.query('SELECT id, email, "satshotConnected" FROM users ORDER BY id');
    expect(users.slice(0, usersBefore.length)).toEqual(usersBefore);
  });
});
