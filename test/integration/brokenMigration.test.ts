import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FARM_CHAT_FAKE_ENV } from '../../scripts/lib/farmChat.js';
import type { DeploymentReport } from '../../src/shared/report.js';
import { workerLogText } from '../helpers/workerLog.js';
import { createScenario, historyText, recordHistory, scheduledActivities, type Scenario } from '../helpers/scenario.js';
import {
  captureRows,
  expectNoSecretsInHistoryOrLog,
  expectRowsRestored,
  type ProductionRows,
} from '../helpers/productionState.js';

/**
 * v1 → v2-broken-migration: the migration commits its first statements, then fails. Everything
 * must come back exactly: database, code, dependencies, running app. This scenario backs up in
 * pg_dump's directory format with 2 jobs (the happy path uses the custom format).
 */
let s: Scenario;
let report: DeploymentReport;
let handle: Awaited<ReturnType<Scenario['deploy']>>['handle'];
let before: ProductionRows;

beforeAll(async () => {
  // Rehearsal off (as a team with a very large database might run it): the migration fails on
  // production itself. With the rehearsal on, it is caught on a copy first (test/integration/rehearsal.test.ts).
  s = await createScenario('broken', { backupFormat: 'directory', overrides: { rehearsal: { enabled: false } } });
  before = await captureRows(s);
  ({ handle, report } = await s.deploy(s.request('v2-broken-migration')));
  await recordHistory(handle, 'rolled-back-migration-failed');
}, 600_000);
afterAll(async () => s?.close());

describe('a migration that fails half-way', () => {
  it('ends rolled-back, blaming the migration', () => {
    expect(report.outcome).toBe('rolled-back');
    expect(report.error).toMatchObject({ step: 'migrate', type: 'MigrationFailed' });
    expect(report.error?.message).toContain('20260201000000_satshot_integration');
    expect(report.rollback).toMatchObject({ verified: true, databaseRestored: true, leftForHumans: [] });
  });

  it('took a directory-format backup, restored from it', () => {
    expect(report.backup).toMatchObject({ format: 'directory' });
    expect(report.backup!.path).toMatch(/\.dir$/);
    expect(readdirSync(report.backup!.path!)).toContain('toc.dat');
  });

  it('really half-applied it: the database kept aside has the partial schema', async () => {
    const kept = report.rollback!.failedDatabaseKeptAs!;
    expect(kept).toMatch(/_failed$/);
    expect(await s.query(`SELECT to_regclass('satshot_tokens')::text AS t`, [], kept)).toEqual([
      { t: 'satshot_tokens' },
    ]);
    expect(
      await s.query(
        `SELECT finished_at FROM _prisma_migrations WHERE migration_name = '20260201000000_satshot_integration'`,
        [],
        kept,
      ),
    ).toEqual([{ finished_at: null }]);
  });

  it('restored the database exactly: schema, migrations and every row', async () => {
    await expectRowsRestored(s, before);
    expect(await s.query(`SELECT to_regclass('satshot_tokens')::text AS t`)).toEqual([{ t: null }]);
  });

  it('put the code back at v1 and removed xml2js', () => {
    expect(s.head()).toBe(s.origin.tags.v1);
    expect(existsSync(join(s.prod.appDir, 'node_modules', 'xml2js'))).toBe(false);
    expect(existsSync(join(s.prod.appDir, 'node_modules', '@prisma', 'client', 'package.json'))).toBe(true);
  });

  it('has v1 running and healthy', async () => {
    expect(await (await fetch(`${s.prod.baseUrl}/health`)).json()).toMatchObject({ status: 'ok', version: '1.0.0' });
    expect((await fetch(`${s.prod.baseUrl}/integrations/satshot`)).status).toBe(404);
    expect(report.rollback!.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.rollback!.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'code at release',
        'node_modules matches lockfile',
        'health',
        'login',
        'migrations up to date',
      ]),
    );
  });

  it("read the restored database's migrations as prisma migrate status does, without starting it: one migrate status in the whole run (inspect-migrations', held against the table then), none in the rollback", () => {
    const status = report.rollback!.checks.find((c) => c.name === 'migrations up to date')!;
    expect(status).toMatchObject({
      ok: true,
      detail: expect.stringMatching(
        /^database schema is up to date: all \d+ of v1's migrations applied, checksums equal to its files$/,
      ),
    });
    expect(workerLogText().match(/starting the app's Prisma CLI: migrate status/g)).toHaveLength(1);
  });

  it('shows the compensations in the history, in reverse order', async () => {
    const activities = await scheduledActivities(handle);
    const failedAt = activities.indexOf('migrateDatabase');
    expect(activities.slice(failedAt)).toEqual([
      'migrateDatabase',
      'removeStagedRelease',
      'restoreDatabase',
      'activateRelease',
      'installDependencies',
      'restartApplication',
      'verifyDeployment',
      'resumeWrites',
      'pruneBackups',
    ]);
  });

  it('kept secrets out of the history and the worker log, even in failures', async () => {
    await expectNoSecretsInHistoryOrLog(s, handle);
    const text = await historyText(handle);
    expect(text).toContain('MigrationFailed');
    expect(text).not.toContain(s.dbPassword);
    expect(text).not.toContain(FARM_CHAT_FAKE_ENV.SATSHOT_PASSWORD);
  });
});
