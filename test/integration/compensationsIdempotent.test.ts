import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedConfig } from '../../src/activities/config.js';
import type { BackupFacts, RestoreFacts } from '../../src/shared/backupFacts.js';
import type { DependencyFacts } from '../../src/activities/dependencies.js';
import { createActivities } from '../../src/activities/index.js';
import type { TargetConfig } from '../../src/config/schema.js';
import {
  captureProduction,
  health,
  installedPackages,
  lockfilePackages,
  type ProductionState,
} from '../helpers/productionState.js';
import { createScenario, type Scenario } from '../helpers/scenario.js';

/**
 * The compensations on a real production, each run twice: restoreDatabase, activateRelease (the
 * previous commit) and installDependencies (the previous commit). Production is first put in the
 * state a failed deployment leaves (schema changed, rows deleted, code at v2, a package v1 does
 * not have); the first run repairs and is verified; the second changes nothing and says so.
 */
let s: Scenario;
let before: ProductionState;
let target: TargetConfig;
let backup: BackupFacts;
const activities = () => createActivities({ configPath: s.configPath, env: process.env });
const run = <R>(fn: (...args: never[]) => Promise<R>, ...args: unknown[]): Promise<R> =>
  new MockActivityEnvironment().run(fn as never, ...(args as never[])) as Promise<R>;
const git = (...args: string[]) => execFileSync('git', ['-C', s.prod.appDir, ...args], { encoding: 'utf8' }).trim();
const databaseOid = async (name: string) =>
  (await s.query<{ oid: string }>('SELECT oid::text FROM pg_database WHERE datname = $1', [name], 'postgres'))[0]?.oid;

beforeAll(async () => {
  s = await createScenario('idempotent');
  before = await captureProduction(s);
  ({ target } = await run<LoadedConfig>(activities().loadConfig, s.request('v2')));
  backup = await run<BackupFacts>(activities().backupDatabase, { deploymentId: 'idempotency', target });
  // What a deployment that failed late leaves behind.
  await s.query('ALTER TABLE users ADD COLUMN "satshotConnected" BOOLEAN NOT NULL DEFAULT false');
  await s.query('DELETE FROM messages WHERE id % 2 = 0');
  git('-c', 'advice.detachedHead=false', 'checkout', '-q', '--detach', 'v2');
  mkdirSync(join(s.prod.appDir, 'node_modules', 'xml2js'), { recursive: true });
  writeFileSync(join(s.prod.appDir, 'node_modules', 'xml2js', 'package.json'), '{"name":"xml2js","version":"0.6.2"}\n');
}, 600_000);
afterAll(async () => s?.close());

/** Production as before the damage, apart from the backup just taken. */
async function expectRepaired(part: 'database' | 'code' | 'dependencies') {
  const now = await captureProduction(s);
  if (part === 'database') {
    for (const k of ['schema', 'migrations', 'tables', 'users', 'messages'] as const)
      expect(now[k], k).toEqual(before[k]);
  }
  if (part === 'code') expect([now.head, now.status]).toEqual([s.origin.tags.v1, '']);
  if (part === 'dependencies') {
    expect(now.packages).toEqual(before.packages);
    expect(installedPackages(s.prod.appDir)).toEqual(lockfilePackages(s, 'v1'));
  }
}

describe('compensations are idempotent on real components', () => {
  it('restoreDatabase: the first run swaps the backup in, the second changes nothing and says so', async () => {
    expect((await captureProduction(s)).tables['public.messages']!.rows).toBeLessThan(
      before.tables['public.messages']!.rows,
    );
    const first = await run<RestoreFacts>(activities().restoreDatabase, {
      deploymentId: 'idempotency',
      target,
      backup,
    });
    expect(first).toMatchObject({ restored: true, changed: true, verified: true });
    expect(first.keptAs).toMatch(/_failed$/);
    await expectRepaired('database');
    const oid = await databaseOid(s.database);
    const keptOid = await databaseOid(first.keptAs!);

    const second = await run<RestoreFacts>(activities().restoreDatabase, {
      deploymentId: 'idempotency',
      target,
      backup,
    });
    expect(second).toMatchObject({ restored: true, changed: false, keptAs: first.keptAs, verified: true });
    await expectRepaired('database');
    // Not swapped again: the same databases, and the failed one still holds the damage.
    expect(await databaseOid(s.database)).toBe(oid);
    expect(await databaseOid(first.keptAs!)).toBe(keptOid);
    expect(await s.query('SELECT count(*)::int AS n FROM messages WHERE id % 2 = 0', [], first.keptAs)).toEqual([
      { n: 0 },
    ]);
  }, 120_000);

  it('activateRelease(previous): the first run checks v1 out, the second changes nothing', async () => {
    expect(s.head()).toBe(s.origin.tags.v2);
    const first = await run<{ commit: string; previous: string; changed: boolean }>(activities().activateRelease, {
      target,
      commit: s.origin.tags.v1,
    });
    expect(first).toEqual({ commit: s.origin.tags.v1, previous: s.origin.tags.v2, changed: true });
    await expectRepaired('code');
    const second = await run<{ commit: string; previous: string; changed: boolean }>(activities().activateRelease, {
      target,
      commit: s.origin.tags.v1,
    });
    expect(second).toEqual({ commit: s.origin.tags.v1, previous: s.origin.tags.v1, changed: false });
    await expectRepaired('code');
  }, 120_000);

  it('installDependencies(previous): the first run reinstalls v1 (xml2js gone), the second is skipped', async () => {
    expect(installedPackages(s.prod.appDir).xml2js).toBeDefined();
    const input = {
      target,
      commit: s.origin.tags.v1,
      requiredPackages: ['@prisma/client', 'pg'],
      step: 'reinstall-dependencies',
    };
    const first = await run<DependencyFacts>(activities().installDependencies, input);
    expect(first).toMatchObject({ commit: s.origin.tags.v1, skipped: false });
    await expectRepaired('dependencies');
    const mtime = execFileSync('stat', ['-c', '%Y.%i', join(s.prod.appDir, 'node_modules', 'pg')], {
      encoding: 'utf8',
    });
    const second = await run<DependencyFacts>(activities().installDependencies, input);
    expect(second).toMatchObject({
      commit: s.origin.tags.v1,
      skipped: true,
      lockfileSha256: first.lockfileSha256,
      packages: first.packages,
    });
    await expectRepaired('dependencies');
    expect(execFileSync('stat', ['-c', '%Y.%i', join(s.prod.appDir, 'node_modules', 'pg')], { encoding: 'utf8' })).toBe(
      mtime,
    ); // not reinstalled
  }, 240_000);

  it('leaves v1 serving as before, the whole production equal to before the damage', async () => {
    const now = await captureProduction(s);
    expect({ ...now, backups: [] }).toEqual({ ...before, backups: [] });
    expect(await health(s)).toMatchObject({ status: 'ok', version: '1.0.0', maintenance: false });
  });
});
