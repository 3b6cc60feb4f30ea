import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT, EXIT_CODES } from '../../src/cli/context.js';
import type { DeploymentReport, Progress } from '../../src/shared/report.js';
import { eventually, runCli, type CliRun } from '../helpers/cli.js';
import { backupFiles, createScenario, type Scenario } from '../helpers/scenario.js';
import { deploymentResult } from '../../src/cli/deploymentResult.js';

/**
 * approve, reject and rollback as an operator types them, against deployments that really wait:
 * a real farm-chat production, a real worker, and v3-drop-satshot-tokens, whose migration drops
 * a table and so waits at the migration-risk gate. `start` follows each one and shows the wait
 * with the commands that answer it.
 */
let s: Scenario;
const REF = 'v3-drop-satshot-tokens';
/** What v2's deployment left in the backup folder (its own backup). */
let backupsAfterV2: string[];

beforeAll(async () => {
  // A short monitoring window to roll back from; no rehearsal (not what is tested here).
  s = await createScenario('decide', {
    overrides: { rehearsal: { enabled: false }, monitor: { minutes: 0, interval: '2 seconds' } },
  });
  // Production on v2 with Satshot tokens stored: v3 drops a table that holds rows. (From v1, v3's
  // deployment would create satshot_tokens and drop it again, empty: nothing to approve.)
  expect((await s.deploy(s.request('v2'))).report.outcome).toBe('deployed');
  await s.query(`INSERT INTO satshot_tokens ("userId", token) SELECT id, 'tok-' || id FROM users WHERE id <= 3`);
  backupsAfterV2 = backupFiles(s);
}, 600_000);
afterAll(async () => s?.close());

/** `safe-deploy start` in the background, and the moment it prints that the deployment waits for approval. */
async function startUntilWaiting(
  extra: string[] = [],
): Promise<{ workflowId: string; started: Promise<CliRun>; seen: () => string }> {
  let seen = '';
  const started = runCli(
    [
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
      'Satshot without per-user tokens',
      '--requested-by',
      'ana',
      ...extra,
    ],
    {
      onStdout: (text) => {
        seen = text;
      },
    },
  );
  await eventually(
    'start to say the deployment waits for approval',
    async () => (/\n {2}reject: {2}safe-deploy reject \S+ --reason "<why>"\n/.test(seen) ? true : undefined),
    120_000,
  );
  const workflowId = /^started (\S+) on task queue /.exec(seen)![1]!;
  return { workflowId, started, seen: () => seen };
}

const progressOf = (workflowId: string) => s.client.workflow.getHandle(workflowId).query<Progress>('progress');

describe('decisions on deployments that really wait', () => {
  it('start shows the wait and the approve command; reject ends the deployment aborted with nothing changed', async () => {
    const { workflowId, started, seen } = await startUntilWaiting();
    expect(seen()).toMatch(/\n→ lint-migrations: ok \(\d+\.\d s\) — 20260301000000_drop_satshot_tokens: destructive\n/);
    expect(seen()).toMatch(
      new RegExp(
        `\\n⏸ waiting for approval since \\S+: 1\\. \\[destructive-migration\\] 20260301000000_drop_satshot_tokens is destructive: drop-table at line 11 .+satshot_tokens holds 3 rows \\(counted\\).+\\n  approve: safe-deploy approve ${workflowId} --reason "<why>"\\n`,
      ),
    );

    const reject = await runCli([
      'reject',
      workflowId,
      '--reason',
      'keep the tokens until the MCP change is live',
      '--by',
      'ben',
    ]);
    expect(reject.code, reject.stderr).toBe(EXIT.ok);
    expect(reject.stdout).toBe(
      `rejected gate migration-risk of ${workflowId} (by ben: keep the tokens until the MCP change is live)\n`,
    );

    const run = await started;
    expect(run.code, run.stderr).toBe(EXIT_CODES.aborted);
    expect(run.stdout).toContain('→ approval: FAILED');
    expect(run.stdout).toContain('ben rejected the deployment: keep the tokens until the MCP change is live');
    expect(run.stdout.trim().split('\n').at(-1)).toBe(`deployment ${workflowId} outcome: aborted`);
    const report = await deploymentResult(s.client.workflow.getHandle(workflowId));
    expect(report.decisions).toEqual([
      expect.objectContaining({ gate: 'migration-risk', decision: 'rejected', by: 'ben' }),
    ]);
    // Nothing changed: v2's code, no backup taken by it, v3's migration not applied, the tokens kept.
    expect(s.head()).toBe(s.origin.tags.v2);
    expect(backupFiles(s)).toEqual(backupsAfterV2);
    expect(
      await s.query("SELECT count(*)::int AS n FROM _prisma_migrations WHERE migration_name LIKE '202603%'"),
    ).toEqual([{ n: 0 }]);
    expect(await s.query('SELECT count(*)::int AS n FROM satshot_tokens')).toEqual([{ n: 3 }]);
  }, 240_000);

  it('approve lets it go on (a second approve is refused); rollback in the monitoring window asks before losing a late sign-up, then ends rolled-back, saying who asked', async () => {
    const { workflowId, started, seen } = await startUntilWaiting(['--monitor-minutes', '1']);

    const approve = await runCli([
      'approve',
      workflowId,
      '--reason',
      'satshot_tokens is unused since the MCP change; the backup keeps it',
      '--by',
      'ana',
    ]);
    expect(approve.code, approve.stderr).toBe(EXIT.ok);
    expect(approve.stdout).toBe(
      `approved gate migration-risk of ${workflowId} (by ana: satshot_tokens is unused since the MCP change; the backup keeps it)\n`,
    );
    const again = await runCli(['approve', workflowId, '--reason', 'me too', '--by', 'ben']);
    expect(again.code).toBe(EXIT.refused);
    expect(again.stderr).toBe('refused: this deployment is not waiting for a decision\n');

    // The deployment went on: it is live and being watched.
    await eventually(
      'the monitoring window',
      async () => ((await progressOf(workflowId)).currentStep === 'monitor' ? true : undefined),
      180_000,
    );
    expect(s.head()).toBe(s.origin.tags[REF]);
    expect(await s.query("SELECT to_regclass('public.satshot_tokens') AS t")).toEqual([{ t: null }]);

    // A farmer signs up on the new release; PostgreSQL publishes a backend's write counts within 10 s.
    const signUp = await fetch(`${s.prod.baseUrl}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email: 'late-farmer@farm-chat.example',
        password: 'late-farmer-pass',
        name: 'Late Farmer',
      }),
    });
    expect(signUp.status).toBe(201);
    await new Promise((r) => setTimeout(r, 11_000));

    const rollback = runCli([
      'rollback',
      workflowId,
      '--reason',
      'Satshot sessions fail since the deploy',
      '--by',
      'ana',
    ]);
    // Restoring the backup would throw the sign-up away: the rollback asks first, and start says how to answer.
    const lostWrites = await eventually(
      'the rollback to ask about lost writes',
      async () => {
        const w = (await progressOf(workflowId)).waitingFor;
        return w?.gate === 'lost-writes' ? w : undefined;
      },
      120_000,
    );
    expect(lostWrites).toMatchObject({
      kind: 'approval',
      detail: expect.stringMatching(
        /^restoring the farm-chat prod-decide backup would throw away rows written since it \(.*public\.users: \d+ rows?.*\)/,
      ),
    });
    await eventually('start to show the second wait', async () =>
      seen().split('  approve: safe-deploy approve').length === 3 ? true : undefined,
    );
    const restore = await runCli([
      'approve',
      workflowId,
      '--reason',
      'restore: the late farmer re-registers; the kept database has the row',
      '--by',
      'ana',
    ]);
    expect(restore.code, restore.stderr).toBe(EXIT.ok);
    expect(restore.stdout).toBe(
      `approved gate lost-writes of ${workflowId} (by ana: restore: the late farmer re-registers; the kept database has the row)\n`,
    );

    const rolledBack = await rollback;
    expect(rolledBack.code, rolledBack.stdout + rolledBack.stderr).toBe(EXIT_CODES['rolled-back']);
    // The rollback streams its own steps (↩) between its first and last lines (issue 15.6).
    const lines = rolledBack.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(
      `rollback of ${workflowId} accepted (by ana: Satshot sessions fail since the deploy); waiting for it to end…`,
    );
    expect(lines.at(-1)).toBe(`deployment ${workflowId} outcome: rolled-back`);
    const steps = lines.filter((l) => l.startsWith('↩ ') && / ok \(/.test(l)).map((l) => l.split(':')[0]);
    expect(steps).toEqual([
      '↩ stop-writes-again',
      '↩ check-lost-writes',
      '↩ approve-lost-writes',
      '↩ restore-database',
      '↩ reactivate-release',
      '↩ reinstall-dependencies',
      '↩ restart-previous',
      '↩ verify-rollback',
      '↩ resume-writes-after-rollback',
    ]);
    expect(rolledBack.stdout).toContain('↩ approve-lost-writes: ok (');
    expect(rolledBack.stdout).toContain('approved by ana: restore: the late farmer re-registers');

    const run = await started;
    expect(run.code, run.stderr).toBe(EXIT_CODES['rolled-back']);
    expect(run.stdout).toContain(
      '  failure:    RollbackRequested at monitor: [monitor] rollback requested by ana: Satshot sessions fail since the deploy',
    );
    expect(run.stdout).toContain('↩ approve-lost-writes: ok');
    expect(run.stdout).toMatch(
      /\n {2}rollback: {3}verified; database restored from the dump \(failed one kept as \S+\)\n/,
    );
    const status = await runCli(['status', workflowId, '--json']);
    const { report } = status.json<{ report: DeploymentReport }>();
    expect(report).toMatchObject({
      outcome: 'rolled-back',
      rollback: {
        requestedBy: 'ana',
        reason: 'rollback requested by ana: Satshot sessions fail since the deploy',
        verified: true,
        databaseRestored: true,
      },
    });
    expect(report.rollback!.lostWrites!['public.users']).toBeGreaterThanOrEqual(1);
    expect(report.decisions.map((d) => [d.gate, d.decision, d.by])).toEqual([
      ['migration-risk', 'approved', 'ana'],
      ['lost-writes', 'approved', 'ana'],
    ]);
    // Back on v2 with the backup's data; the sign-up survives in the database kept aside.
    expect(s.head()).toBe(s.origin.tags.v2);
    expect(
      await s.query("SELECT count(*)::int AS n FROM _prisma_migrations WHERE migration_name LIKE '202603%'"),
    ).toEqual([{ n: 0 }]);
    const late = "SELECT count(*)::int AS n FROM users WHERE email = 'late-farmer@farm-chat.example'";
    expect(await s.query(late)).toEqual([{ n: 0 }]);
    expect(await s.query(late, [], report.rollback!.failedDatabaseKeptAs)).toEqual([{ n: 1 }]);
  }, 400_000);
});
