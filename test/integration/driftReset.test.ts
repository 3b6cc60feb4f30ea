import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentReport } from '../../src/shared/report.js';
import { runCli } from '../helpers/cli.js';
import {
  captureProduction,
  expectBackAtV1,
  expectUntouched,
  expectVerifiedRollback,
  health,
} from '../helpers/productionState.js';
import { pollProgress, refusal } from '../helpers/progress.js';
import { backupFiles, createScenario, recordHistory, type Scenario } from '../helpers/scenario.js';
import { deploymentResult } from '../../src/cli/deploymentResult.js';

/**
 * The runbook's Option B on a real farm-chat production (v1, seeded: 20 users, 100 messages)
 * whose schema was changed by hand: a column and a table no migration made. With
 * `drift.resetMaxRows` 50, a deployment of v2 first stops with the data inventory (100 messages);
 * with little data left, it offers a reset, which a person approves: backup, the app's own
 * `prisma migrate reset`, deploy; when the release then fails its checks, the rollback restores
 * the backup (drift and rows back).
 */
const INIT = '20260101000000_init';
const SATSHOT = '20260201000000_satshot_integration';

let s: Scenario;
const started: WorkflowHandle[] = [];
const exists = async (sql: string) => (await s.query<{ t: string | null }>(`SELECT ${sql} AS t`))[0]!.t !== null;

beforeAll(async () => {
  s = await createScenario('drift-reset', { overrides: { drift: { resetMaxRows: 50 } } });
  await s.query('ALTER TABLE "users" ADD COLUMN "nickname" text');
  await s.query('CREATE TABLE "hand_made" (id int)');
}, 600_000);
afterAll(async () => s?.close());
afterEach(async () => {
  for (const h of started.splice(0)) await h.terminate('test case ended').catch(() => undefined);
});

describe('a drifted production (runbook Option B)', () => {
  it('with more rows than drift.resetMaxRows: aborted with the data inventory for a DBA, nothing changed', async () => {
    const before = await captureProduction(s);
    const { handle, report } = await s.deploy(s.request('v2'));
    await recordHistory(handle, 'aborted-drift-data');
    expect(report.outcome).toBe('aborted');
    expect(report.error).toMatchObject({ type: 'MigrationStateBad' });
    expect(report.error!.message).toContain(
      'more data than drift.resetMaxRows (50 rows a table) lets a reset throw away: public.messages',
    );
    expect(report.error!.message).toContain('column public.users.nickname is not in the migrations');
    expect(report.error!.message).toContain('a DBA reconciles the schema');
    expect(report.drift).toMatchObject({
      resetOffered: false,
      inventory: {
        maxRows: 50,
        withinThreshold: false,
        overThreshold: ['public.messages'],
        users: [{ table: 'public.users', rows: 20 }],
      },
    });
    expect(report.drift!.inventory.tables).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'public.messages', rows: 100 }),
        expect.objectContaining({ name: 'public.users', rows: 20 }),
        expect.objectContaining({ name: 'public.hand_made', rows: 0 }),
      ]),
    );
    expect(report.decisions).toEqual([]);
    expect(report.steps.map((x) => x.name)).not.toContain('backup');
    await expectUntouched(s, before);
  }, 180_000);

  it('with little data, reset approved, a failed verification: the rollback restores the backup (hand-made objects and rows back)', async () => {
    await s.query('DELETE FROM "users" WHERE id > 3'); // cascades: 3 users, 15 messages
    const before = await captureProduction(s);
    const handle = await s.start(s.request('v2-broken-check'));
    started.push(handle);
    await pollProgress(handle, 'the migration-risk gate', (p) => p.waitingFor?.gate === 'migration-risk');
    await handle.executeUpdate('approve', { args: [{ by: 'dba-ana', reason: 'test data only', action: 'reset' }] });
    const report = await deploymentResult(handle);
    expect(report.outcome, report.error?.message).toBe('rolled-back');
    expect(report.steps.find((x) => x.name === 'migrate')).toMatchObject({
      status: 'ok',
      summary: expect.stringContaining('prisma migrate reset'),
    });
    expect(report.rollbackPlan).toMatchObject({ strategy: 'restore-database' });
    expect(report.rollback).toMatchObject({ strategy: 'restore-database', databaseRestored: true });
    expectVerifiedRollback(report);
    expect(await exists(`to_regclass('public.hand_made')::text`)).toBe(true);
    await expectBackAtV1(s, before, { smokeRuns: 1 }); // the schema with its hand-made column, every row back
  }, 300_000);

  it('with little data: offers a reset; approved with --action reset it backs up, resets and deploys v2', async () => {
    const emails = (await s.query<{ email: string }>('SELECT email FROM "users"')).map((r) => r.email);
    expect(emails).toHaveLength(4); // 3 seeded, 1 smoke user of the rollback's verification
    const handle = await s.start(s.request('v2'));
    started.push(handle);
    const gate = await pollProgress(handle, 'the migration-risk gate', (p) => p.waitingFor?.gate === 'migration-risk');
    expect(gate.waitingFor).toMatchObject({ kind: 'approval', actions: ['reset'] });
    expect(gate.waitingFor!.detail).toContain('Data: 3 tables');
    expect(gate.waitingFor!.detail).toContain('approve with --action reset');
    expect(gate.steps.map((x) => x.name)).toContain('inspect-data');
    expect(
      await refusal(
        handle.executeUpdate('approve', {
          args: [{ by: 'dba-ana', reason: 'test data only', action: 'resolve-applied' }],
        }),
      ),
    ).toMatch(/offers reset, not resolve-applied/);
    const approve = await runCli([
      'approve',
      handle.workflowId,
      '--action',
      'reset',
      '--reason',
      'test data only',
      '--by',
      'dba-ana',
    ]);
    expect(approve.code, approve.stderr).toBe(0);
    expect(approve.stdout).toBe(
      `approved gate migration-risk of ${handle.workflowId} with action reset (by dba-ana: test data only)\n`,
    );

    const report = await deploymentResult(handle);
    await recordHistory(handle, 'deployed-after-reset');
    expect(report.outcome, report.error?.message).toBe('deployed');
    expect(report.drift).toMatchObject({
      resetOffered: true,
      inventory: { withinThreshold: true, users: [{ table: 'public.users', rows: 4 }] },
      reset: { by: 'dba-ana', reason: 'test data only' },
    });
    expect(report.decisions).toEqual([
      expect.objectContaining({ gate: 'migration-risk', decision: 'approved', by: 'dba-ana', action: 'reset' }),
    ]);
    const names = report.steps.map((x) => x.name);
    expect(names.indexOf('backup')).toBeGreaterThan(-1);
    expect(names.indexOf('backup')).toBeLessThan(names.indexOf('migrate'));
    expect(names).not.toContain('rehearse');
    expect(report.steps.find((x) => x.name === 'migrate')!.summary).toContain('prisma migrate reset');
    expect(report.migrations!.applied).toEqual([INIT, SATSHOT]);
    expect(report.rollbackPlan).toMatchObject({ strategy: 'restore-database' });
    // The backup holds the old rows; the database really was reset.
    expect(backupFiles(s).length).toBeGreaterThan(0);
    expect(report.backup!.tables).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'public.users', rows: 4 })]),
    );
    expect(await exists(`to_regclass('public.hand_made')::text`)).toBe(false);
    expect(
      await exists(
        `(SELECT attname::text FROM pg_attribute WHERE attrelid = 'users'::regclass AND attname = 'nickname')`,
      ),
    ).toBe(false);
    expect(await exists(`to_regclass('public.satshot_tokens')::text`)).toBe(true);
    expect(await s.query('SELECT 1 FROM "users" WHERE email = ANY($1)', [emails])).toEqual([]);
    expect(
      (
        await s.query<{ migration_name: string }>(
          'SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL ORDER BY 1',
        )
      ).map((r) => r.migration_name),
    ).toEqual([INIT, SATSHOT]);
    expect(s.head()).toBe(s.origin.tags.v2);
    expect(await health(s)).toMatchObject({ status: 'ok', version: '2.0.0' });
  }, 300_000);
});
