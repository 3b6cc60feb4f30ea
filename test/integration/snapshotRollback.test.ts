import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FARM_CHAT_FAKE_ENV } from '../../scripts/lib/farmChat.js';
import type { DeploymentReport } from '../../src/shared/report.js';
import { captureRows, expectRowsRestored, type ProductionRows } from '../helpers/productionState.js';
import { createScenario, historyText, recordHistory, scheduledActivities, type Scenario } from '../helpers/scenario.js';

/**
 * v1 → v2-broken-migration with `backup.method: 'snapshot'`: before the deployment the database
 * is copied in its cluster (and dumped for disaster recovery); when the migration fails half-way
 * the rollback renames the copy in. Everything must come back exactly, as with a dump.
 */
let s: Scenario;
let report: DeploymentReport;
let handle: Awaited<ReturnType<Scenario['deploy']>>['handle'];
let before: ProductionRows;
let productionOid: number;

const oidOf = async (name: string) =>
  (await s.query<{ oid: string }>('SELECT oid::int8::text AS oid FROM pg_database WHERE datname = $1', [name]))[0]?.oid;

beforeAll(async () => {
  s = await createScenario('snaproll', {
    backup: { method: 'snapshot' },
    overrides: { rehearsal: { enabled: false } },
  });
  before = await captureRows(s);
  productionOid = Number(await oidOf(s.database));
  ({ handle, report } = await s.deploy(s.request('v2-broken-migration')));
  await recordHistory(handle, 'rolled-back-snapshot-proven-beside-release');
}, 600_000);
afterAll(async () => s?.close());

describe('a half-applied migration rolled back from a snapshot', () => {
  it('ends rolled-back, blaming the migration, restored from the snapshot', () => {
    expect(report.outcome).toBe('rolled-back');
    expect(report.error).toMatchObject({ step: 'migrate', type: 'MigrationFailed' });
    expect(report.rollback).toMatchObject({
      verified: true,
      databaseRestored: true,
      restoredFrom: 'snapshot',
      leftForHumans: [],
    });
    const restore = report.steps.find((x) => x.name === 'restore-database')!;
    expect(restore.result).toMatch(
      /^renamed the snapshot in \(sealed since its fingerprint verified, database closed \d+ ms\)/,
    );
  });

  it('took a snapshot, with how long the app was shut out, fingerprinted before the migration; no dump: that follows only once writes resume', async () => {
    const backup = report.backup!;
    expect(backup.method).toBe('snapshot');
    expect(backup.snapshot!.database).toMatch(new RegExp(`^${s.database}_sd_[0-9a-f]{8}_snap$`));
    expect(backup.snapshot!.closedMs).toBeGreaterThan(0);
    expect(backup.snapshot!.closedMs).toBeLessThan(15_000);
    expect(backup.tables.find((x) => x.name === 'public.messages')?.rows).toBe(before.messages!.length);
    expect(backup.path).toBeUndefined();
    const names = report.steps.map((x) => x.name);
    expect(names.indexOf('fingerprint-backup')).toBeLessThan(names.indexOf('migrate'));
    expect(names).not.toContain('dump-backup');
  });

  it('renamed the snapshot in: it no longer exists under its own name, and production is no longer the database v2 migrated', async () => {
    expect(await oidOf(report.backup!.snapshot!.database)).toBeUndefined();
    expect(Number(await oidOf(s.database))).not.toBe(productionOid);
    const kept = report.rollback!.failedDatabaseKeptAs!;
    expect(Number(await oidOf(kept))).toBe(productionOid);
    expect(await s.query(`SELECT to_regclass('satshot_tokens')::text AS t`, [], kept)).toEqual([
      { t: 'satshot_tokens' },
    ]);
  });

  it('restored the database exactly: schema, migrations and every row', async () => {
    await expectRowsRestored(s, before);
  });

  it('has v1 running and healthy on the restored database', async () => {
    expect(await (await fetch(`${s.prod.baseUrl}/health`)).json()).toMatchObject({
      status: 'ok',
      version: '1.0.0',
      database: 'ok',
    });
    expect(report.rollback!.checks.filter((c) => !c.ok)).toEqual([]);
  });

  it('ran the same compensations as with a dump, and kept secrets out of the history', async () => {
    const activities = await scheduledActivities(handle);
    expect(activities.slice(activities.indexOf('migrateDatabase'))).toEqual([
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
    const text = await historyText(handle);
    expect(text).not.toContain(s.dbPassword);
    expect(text).not.toContain(FARM_CHAT_FAKE_ENV.SATSHOT_PASSWORD);
  });
});
