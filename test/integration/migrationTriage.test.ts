import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { WorkflowHandle } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkoutFarmChat, migrateFarmChat } from '../../scripts/lib/farmChat.js';
import type { LoadedConfig } from '../../src/activities/config.js';
import { createActivities } from '../../src/activities/index.js';
import type { ResolveFacts } from '../../src/activities/migrationTriage.js';
import type { TargetConfig } from '../../src/config/schema.js';
import { CommandFailed } from '../../src/exec/run.js';
import type { MigrationTriage } from '../../src/shared/inventoryAndTriage.js';
import type { DeploymentReport } from '../../src/shared/report.js';
import { runCli } from '../helpers/cli.js';
import { captureProduction, expectUntouched, health } from '../helpers/productionState.js';
import { pollProgress, refusal } from '../helpers/progress.js';
import { createScenario, recordHistory, type Scenario } from '../helpers/scenario.js';
import { deploymentResult } from '../../src/cli/deploymentResult.js';

/**
 * Failed-migration triage on a real farm-chat production, with failures the sample app's real
 * Prisma CLI makes (`prisma migrate deploy` of v2-broken-migration, whose foreign key names the
 * wrong table): the column, the table and the index take effect, the foreign key does not, and
 * `_prisma_migrations` keeps a failed row (P3009 for every later deploy).
 */
const SATSHOT = '20260201000000_satshot_integration';
const BROKEN_SQL = `prisma/migrations/${SATSHOT}/migration.sql`;

let s: Scenario;
let target: TargetConfig;
let acts: ReturnType<typeof createActivities>;
const deploymentId = `test-triage-${randomUUID().slice(0, 8)}`;
const started: WorkflowHandle[] = [];

const rowsOf = () =>
  s.query<{
    checksum: string;
    finished_at: Date | null;
    rolled_back_at: Date | null;
    logs: string | null;
    applied_steps_count: number;
  }>(
    'SELECT checksum, finished_at, rolled_back_at, logs, applied_steps_count FROM _prisma_migrations WHERE migration_name = $1 ORDER BY started_at',
    [SATSHOT],
  );
const exists = async (sql: string) => (await s.query<{ t: string | null }>(`SELECT ${sql} AS t`))[0]!.t !== null;
const triage = (ref: string) =>
  new MockActivityEnvironment().run(acts.triageFailedMigration, {
    deploymentId,
    target,
    migration: SATSHOT,
    targetCommit: s.origin.tags[ref]!,
  }) as Promise<MigrationTriage>;
const resolve = (t: TargetConfig, action: 'resolve-applied' | 'resolve-rolled-back', ref: string, dir?: string) =>
  new MockActivityEnvironment().run(acts.resolveFailedMigration, {
    deploymentId,
    target: t,
    migration: SATSHOT,
    action,
    targetCommit: s.origin.tags[ref]!,
    dir,
  }) as Promise<ResolveFacts>;

/** The real CLI applies v2-broken-migration on production and fails half-way; the code goes back to v1. */
async function failHalfWay(): Promise<void> {
  await checkoutFarmChat(s.prod.appDir, 'v2-broken-migration');
  try {
    await expect(migrateFarmChat(s.prod.appDir, s.prod.databaseUrl)).rejects.toBeInstanceOf(CommandFailed);
  } finally {
    await checkoutFarmChat(s.prod.appDir, 'v1');
  }
  expect((await rowsOf()).map((r) => [r.finished_at, r.rolled_back_at])).toContainEqual([null, null]);
}

/** Undoes by hand what the broken migration applied (the triage's remedy SQL, newest first). */
async function undoByHand(): Promise<void> {
  await s.query('DROP TABLE "satshot_tokens"');
  await s.query('ALTER TABLE "users" DROP COLUMN "satshotConnected"');
}

beforeAll(async () => {
  s = await createScenario('triage', { overrides: { rehearsal: { enabled: false } } });
  acts = createActivities({ configPath: s.configPath, env: {} });
  ({ target } = (await new MockActivityEnvironment().run(acts.loadConfig, {
    app: 'farm-chat',
    environment: s.environment,
    ref: 'v2',
  })) as LoadedConfig);
  await failHalfWay();
}, 600_000);
afterAll(async () => s?.close());
afterEach(async () => {
  for (const h of started.splice(0)) await h.terminate('test case ended').catch(() => undefined);
});

describe('a migration the real Prisma CLI applied half-way', () => {
  it('is triaged statement by statement: the column, the table and the index took effect, the foreign key did not', async () => {
    const t = await triage('v2');
    expect(t).toMatchObject({
      migration: SATSHOT,
      file: BROKEN_SQL,
      sourceCommit: s.origin.tags['v2-broken-migration'],
      sameInTarget: false,
    });
    expect(t.proposal).toBeUndefined();
    const sha = createHash('sha256')
      .update(
        readFileSync(new URL(`../../examples/farm-chat/releases/v2-broken-migration/${BROKEN_SQL}`, import.meta.url)),
      )
      .digest('hex');
    expect(t.checksum).toBe(sha);
    expect(t.statements.map((x) => [x.index, x.kind, x.effect])).toEqual([
      [1, 'AlterTableStmt', 'applied'],
      [2, 'CreateStmt', 'applied'],
      [3, 'IndexStmt', 'applied'],
      [4, 'AlterTableStmt', 'not-applied'],
    ]);
    expect(t.statements[3]!.evidence).toEqual([
      'constraint satshot_tokens_userId_fkey on public.satshot_tokens does not exist (the statement creates it)',
    ]);
    expect(t.grounds).toMatch(/^it was applied in part: statement\(s\) 1, 2, 3 took effect, statement 4 did not/);
    expect(t.logs).toMatch(/User/);
  });

  it('stops the deployment (aborted) with the statements and the exact SQL to undo them, changing nothing', async () => {
    const before = await captureProduction(s);
    const { handle, report } = await s.deploy(s.request('v2'));
    await recordHistory(handle, 'aborted-failed-migration-partial');
    expect(report.outcome).toBe('aborted');
    expect(report.error).toMatchObject({ type: 'MigrationStateBad' });
    expect(report.error!.message).toMatch(/^\[inspect-migrations\] /);
    expect(report.error!.message).toContain('No resolution can be proposed: it was applied in part');
    expect(report.error!.message).toContain(
      'either undo what took effect, newest first: DROP INDEX "satshot_tokens_userId_idx"; DROP TABLE "satshot_tokens"; ALTER TABLE "users" DROP COLUMN "satshotConnected";',
    );
    expect(report.failedMigration).toMatchObject({ migration: SATSHOT });
    expect(report.failedMigration!.proposal).toBeUndefined();
    expect(report.failedMigration!.statements.map((x) => x.effect)).toEqual([
      'applied',
      'applied',
      'applied',
      'not-applied',
    ]);
    expect(report.decisions).toEqual([]);
    expect(report.steps.map((x) => x.name)).not.toContain('backup');
    await expectUntouched(s, before);
  }, 120_000);
});

describe('finished by hand, then marked applied', () => {
  it('proposes resolve-applied only for a target that carries the same SQL', async () => {
    // A person finishes the migration with the foreign key it meant (the object the statement names).
    await s.query(
      'ALTER TABLE "satshot_tokens" ADD CONSTRAINT "satshot_tokens_userId_fkey" FOREIGN KEY ("userId") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE',
    );
    const same = await triage('v2-broken-migration');
    expect(same.statements.map((x) => x.effect)).toEqual(['applied', 'applied', 'applied', 'applied']);
    expect(same).toMatchObject({ sameInTarget: true, proposal: 'resolve-applied' });
    const other = await triage('v2');
    expect(other).toMatchObject({
      sameInTarget: false,
      grounds: expect.stringContaining('the target release carries another migration.sql'),
    });
    expect(other.proposal).toBeUndefined();
  });

  it("writes, in 'sql' mode, exactly the rows the app's real `prisma migrate resolve --applied` writes", async () => {
    const failedRow = (await rowsOf())[0]!;
    const shape = (rows: Awaited<ReturnType<typeof rowsOf>>) =>
      rows.map((r) => ({
        checksum: r.checksum,
        finished: r.finished_at !== null,
        rolledBack: r.rolled_back_at !== null,
        logs: r.logs,
        steps: r.applied_steps_count,
      }));
    // The real CLI (its --applied runs offline here), in a working copy holding that migration.
    await checkoutFarmChat(s.prod.appDir, 'v2-broken-migration');
    let byCli: ReturnType<typeof shape>;
    try {
      const r = await resolve(
        {
          ...target,
          commands: { ...target.commands, migrateResolve: ['npx', '--no-install', 'prisma', 'migrate', 'resolve'] },
        },
        'resolve-applied',
        'v2-broken-migration',
      );
      expect(r).toMatchObject({
        via: 'cli',
        changed: true,
        output: expect.stringContaining(`Migration ${SATSHOT} marked as applied`),
      });
      byCli = shape(await rowsOf());
    } finally {
      await checkoutFarmChat(s.prod.appDir, 'v1');
    }
    expect(byCli).toEqual([
      { checksum: failedRow.checksum, finished: false, rolledBack: true, logs: failedRow.logs, steps: 0 },
      { checksum: failedRow.checksum, finished: true, rolledBack: false, logs: expect.anything(), steps: 0 },
    ]);
    // The same failed row again (as the CLI found it), resolved by safe-deploy's SQL.
    await s.query(`DELETE FROM _prisma_migrations WHERE migration_name = $1 AND finished_at IS NOT NULL`, [SATSHOT]);
    await s.query(`UPDATE _prisma_migrations SET rolled_back_at = NULL WHERE migration_name = $1`, [SATSHOT]);
    expect(await resolve(target, 'resolve-applied', 'v2-broken-migration')).toEqual({
      migration: SATSHOT,
      action: 'resolve-applied',
      via: 'sql',
      changed: true,
    });
    expect(shape(await rowsOf())).toEqual(byCli);
    // A retry finds it done.
    expect(await resolve(target, 'resolve-applied', 'v2-broken-migration')).toMatchObject({
      via: 'sql',
      changed: false,
    });
  });
});

describe('undone by hand, then resolved as rolled back and deployed', () => {
  it("cannot use this offline sample's own `prisma migrate resolve --rolled-back` (it needs the native schema engine), and says what to do", async () => {
    // Back to a real half-applied failure: forget the resolved rows and objects, fail again with the CLI.
    await s.query('DROP TABLE "satshot_tokens"');
    await s.query('ALTER TABLE "users" DROP COLUMN "satshotConnected"');
    await s.query('DELETE FROM _prisma_migrations WHERE migration_name = $1', [SATSHOT]);
    await failHalfWay();
    await undoByHand();
    const cli = {
      ...target,
      commands: { ...target.commands, migrateResolve: ['npx', '--no-install', 'prisma', 'migrate', 'resolve'] },
    };
    const err = await resolve(cli, 'resolve-rolled-back', 'v2').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ type: 'MigrationResolveFailed', nonRetryable: true });
    expect((err as Error).message).toMatch(/schema-engine|Schema engine/);
    expect((err as Error).message).toContain("set commands.migrateResolve to 'sql'");
    expect((err as Error).message).not.toContain(s.dbPassword);
    expect((await rowsOf()).map((r) => [r.finished_at, r.rolled_back_at])).toEqual([[null, null]]);
  }, 60_000);

  it('asks at the failed-migration gate, takes only the proposed action, resolves it and deploys v2', async () => {
    expect(await triage('v2')).toMatchObject({
      proposal: 'resolve-rolled-back',
      grounds: expect.stringContaining('none of its statements took effect'),
    });
    const handle = await s.start(s.request('v2'));
    started.push(handle);
    const gate = await pollProgress(
      handle,
      'the failed-migration gate',
      (p) => p.waitingFor?.gate === 'failed-migration',
    );
    expect(gate.waitingFor).toMatchObject({ kind: 'approval', actions: ['resolve-rolled-back'], actionRequired: true });
    expect(gate.waitingFor!.detail).toContain('Proposal: resolve-rolled-back — none of its statements took effect');
    expect(gate.steps.map((x) => x.name)).not.toContain('backup');
    // Neither a plain approve nor another action is accepted.
    expect(await refusal(handle.executeUpdate('approve', { args: [{ by: 'dba-ana', reason: 'go' }] }))).toMatch(
      /this gate needs one of resolve-rolled-back/,
    );
    expect(
      await refusal(
        handle.executeUpdate('approve', { args: [{ by: 'dba-ana', reason: 'go', action: 'resolve-applied' }] }),
      ),
    ).toMatch(/this gate offers resolve-rolled-back, not resolve-applied/);
    const approve = await runCli([
      'approve',
      handle.workflowId,
      '--action',
      'resolve-rolled-back',
      '--reason',
      'triage: nothing of it is left',
      '--by',
      'dba-ana',
    ]);
    expect(approve.code, approve.stderr).toBe(0);
    expect(approve.stdout).toBe(
      `approved gate failed-migration of ${handle.workflowId} with action resolve-rolled-back (by dba-ana: triage: nothing of it is left)\n`,
    );
    const report = await deploymentResult(handle);
    await recordHistory(handle, 'deployed-after-resolve');
    expect(report.outcome).toBe('deployed');
    expect(report.failedMigration).toMatchObject({
      proposal: 'resolve-rolled-back',
      resolved: {
        action: 'resolve-rolled-back',
        by: 'dba-ana',
        reason: 'triage: nothing of it is left',
        via: 'sql',
        changed: true,
      },
    });
    expect(report.decisions).toEqual([
      expect.objectContaining({
        gate: 'failed-migration',
        decision: 'approved',
        by: 'dba-ana',
        action: 'resolve-rolled-back',
      }),
    ]);
    const names = report.steps.map((x) => x.name);
    expect(names.indexOf('resolve-migration')).toBeLessThan(names.indexOf('backup'));
    expect(report.migrations?.applied).toEqual([SATSHOT]);
    // The failed row is marked rolled back; deploy ran v2's migration (its checksum) again.
    const v2sql = readFileSync(new URL(`../../examples/farm-chat/releases/v2/${BROKEN_SQL}`, import.meta.url));
    expect((await rowsOf()).map((r) => [r.finished_at !== null, r.rolled_back_at !== null, r.checksum])).toEqual([
      [false, true, report.failedMigration!.checksum],
      [true, false, createHash('sha256').update(v2sql).digest('hex')],
    ]);
    expect(
      await exists(
        `(SELECT conname FROM pg_constraint WHERE conname = 'satshot_tokens_userId_fkey' AND confrelid = 'users'::regclass)`,
      ),
    ).toBe(true);
    expect(s.head()).toBe(s.origin.tags.v2);
    expect(await health(s)).toMatchObject({ status: 'ok', version: '2.0.0' });
  }, 240_000);
});
