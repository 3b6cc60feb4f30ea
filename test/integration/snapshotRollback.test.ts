import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FARM_CHAT_FAKE_ENV } from '../../scripts/lib/farmChat.js';
import type { DeploymentReport } from '../../src/shared/report.js';
import { createScenario, historyText, scheduledActivities, type Scenario } from '../helpers/scenario.js';

/**
 * v1 → v2-broken-migration with `backup.method: 'snapshot'`: before the deployment the database
 * is copied in its cluster (and dumped for disaster recovery); when the migration fails half-way
 * the rollback renames the copy in. Everything must come back exactly, as with a dump.
 */
let s: Scenario;
let report: DeploymentReport;
let handle: Awaited<ReturnType<Scenario['deploy']>>['handle'];
const before: Record<string, unknown[]> = {};
let productionOid: number;

const TABLE_QUERIES: Record<string, string> = {
  users: 'SELECT * FROM users ORDER BY id',
  messages: 'SELECT * FROM messages ORDER BY id',
  migrations: 'SELECT id, checksum, migration_name, finished_at, rolled_back_at, started_at, applied_steps_count FROM _prisma_migrations ORDER BY started_at',
  columns: `SELECT table_name, column_name, data_type, is_nullable, column_default FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2`,
  indexes: `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`,
  constraints: `SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1`,
};
const oidOf = async (name: string) => (await s.query<{ oid: string }>('SELECT oid::int8::text AS oid FROM pg_database WHERE datname = $1', [name]))[0]?.oid;

beforeAll(async () => {
  s = await createScenario('snaproll', { backup: { method: 'snapshot' }, overrides: { rehearsal: { enabled: false } } });
  for (const [name, sql] of Object.entries(TABLE_QUERIES)) before[name] = await s.query(sql);
  productionOid = Number(await oidOf(s.database));
  ({ handle, report } = await s.deploy(s.request('v2-broken-migration')));
}, 600_000);
afterAll(async () => s?.close());

describe('a half-applied migration rolled back from a snapshot', () => {
  it('ends rolled-back, blaming the migration, restored from the snapshot', () => {
    expect(report.outcome).toBe('rolled-back');
    expect(report.error).toMatchObject({ step: 'migrate', type: 'MigrationFailed' });
    expect(report.rollback).toMatchObject({ verified: true, databaseRestored: true, restoredFrom: 'snapshot', leftForHumans: [] });
    const restore = report.steps.find((x) => x.name === 'restore-database')!;
    expect(restore.result).toMatch(/^renamed the snapshot in \(sealed since its fingerprint verified, database closed \d+ ms\)/);
  });

  it('took a snapshot, with how long the app was shut out, and a dump of it for disaster recovery', async () => {
    const backup = report.backup!;
    expect(backup.method).toBe('snapshot');
    expect(backup.snapshot!.database).toMatch(new RegExp(`^${s.database}_sd_[0-9a-f]{8}_snap$`));
    expect(backup.snapshot!.closedMs).toBeGreaterThan(0);
    expect(backup.snapshot!.closedMs).toBeLessThan(15_000);
    expect(backup).toMatchObject({ format: 'custom', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(existsSync(backup.path!)).toBe(true);
    expect(existsSync(`${backup.path}.json`)).toBe(true);
  });

  it('renamed the snapshot in: it no longer exists under its own name, and production is no longer the database v2 migrated', async () => {
    expect(await oidOf(report.backup!.snapshot!.database)).toBeUndefined();
    expect(Number(await oidOf(s.database))).not.toBe(productionOid);
    const kept = report.rollback!.failedDatabaseKeptAs!;
    expect(Number(await oidOf(kept))).toBe(productionOid);
    expect(await s.query(`SELECT to_regclass('satshot_tokens')::text AS t`, [], kept)).toEqual([{ t: 'satshot_tokens' }]);
  });

  it('restored the database exactly: schema, migrations and every row', async () => {
    for (const [name, sql] of Object.entries(TABLE_QUERIES)) {
      const now = await s.query(sql);
      if (name === 'users' || name === 'messages') {
        // The rollback's own verification registered one smoke-test user and one message.
        expect(now.slice(0, before[name]!.length), name).toEqual(before[name]);
        expect(now.length - before[name]!.length, name).toBe(1);
      } else {
        expect(now, name).toEqual(before[name]);
      }
    }
  });

  it('has v1 running and healthy on the restored database', async () => {
    expect(await (await fetch(`${s.prod.baseUrl}/health`)).json()).toMatchObject({ status: 'ok', version: '1.0.0', database: 'ok' });
    expect(report.rollback!.checks.filter((c) => !c.ok)).toEqual([]);
  });

  it('ran the same compensations as with a dump, and kept secrets out of the history', async () => {
    const activities = await scheduledActivities(handle);
    expect(activities.slice(activities.indexOf('migrateDatabase'))).toEqual(['migrateDatabase', 'restoreDatabase', 'activateRelease', 'installDependencies', 'restartApplication', 'verifyDeployment', 'resumeWrites', 'pruneBackups']);
    const text = await historyText(handle);
    expect(text).not.toContain(s.dbPassword);
    expect(text).not.toContain(FARM_CHAT_FAKE_ENV.SATSHOT_PASSWORD);
  });
});
