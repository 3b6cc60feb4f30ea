import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { backupPath, createDatabaseActivities } from '../../src/activities/database.js';
import type { BackupFacts } from '../../src/shared/backupFacts.js';
import { partialDumpPath } from '../../src/postgres/partialDumps.js';
import { environmentConfigSchema, type TargetConfig } from '../../src/config/schema.js';
import { asSuperuser } from '../helpers/superuser.js';

/**
 * Issue 12, item 8: a cancelled backup left a 0-byte dump under its final name, with no `.json`
 * beside it, so retention never pruned it. Now the dump is written under a partial name and
 * renamed once verified; retention removes this target's partial files of other deployments,
 * and nothing else. Real PostgreSQL, a real pg_dump held on a table lock and cancelled.
 */
const name = `partial_${randomBytes(3).toString('hex')}`;
const password = `pw-${randomBytes(9).toString('base64url')}`;
const root = mkdtempSync(join(tmpdir(), 'sd-partial-'));
let url: string;

const superuser = (sql: string, database?: string) => asSuperuser(sql, [], database);

beforeAll(async () => {
  await superuser(`CREATE ROLE "${name}" LOGIN CREATEDB PASSWORD '${password}'`);
  await superuser(`CREATE DATABASE "${name}" OWNER "${name}"`);
  url = `postgresql://${name}:${encodeURIComponent(password)}@${inject('pg').host}:${inject('pg').port}/${name}`;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  await c.query(
    'CREATE TABLE items (id int PRIMARY KEY, body text); INSERT INTO items SELECT g, md5(g::text) FROM generate_series(1, 100) g',
  );
  await c.end();
});
afterAll(async () => {
  await superuser(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await superuser(`DROP ROLE IF EXISTS "${name}"`);
  rmSync(root, { recursive: true, force: true });
});

function target(
  format: 'custom' | 'directory',
  dir: string,
  app = 'farm-chat',
  environment = 'production',
): TargetConfig {
  const env = environmentConfigSchema.parse({
    appDir: root,
    database: { urlEnv: 'PARTIAL_TEST_URL' },
    backup: { dir, format },
    commands: { restart: ['true'] },
    writes: { policy: 'detect' },
    baseUrl: 'http://127.0.0.1:9',
  });
  return { ...env, app, environment, pgBinDir: inject('pg').binDir };
}
const activities = () => createDatabaseActivities({ configPath: '/nonexistent', env: { PARTIAL_TEST_URL: url } });
const mock = () => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });

/** Until pg_dump waits for the lock someone else holds on the table. */
async function pgDumpWaitingForLock(): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const rows = await superuser(
      `SELECT 1 FROM pg_stat_activity WHERE datname = '${name}' AND application_name = 'pg_dump' AND wait_event_type = 'Lock'`,
    );
    if (rows.length > 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('pg_dump never waited for the lock');
}

describe.each(['custom', 'directory'] as const)('a cancelled %s backup', (format) => {
  const dir = join(root, `backups-${format}`);
  const t = target(format, dir);

  it('leaves nothing under the final name, and the next retention removes its partial file, only that', async () => {
    mkdirSync(dir, { recursive: true });
    // Things retention must never touch: a note, another target's partial dump (app `farm` +
    // environment `chat-production`: the same `farm-chat-production-` prefix), this deployment's own.
    const other = partialDumpPath(target(format, dir, 'farm', 'chat-production'), 'dep-cancelled');
    const current = partialDumpPath(t, 'dep-next');
    writeFileSync(join(dir, 'notes.txt'), 'keep me');
    writeFileSync(other, 'another target');
    writeFileSync(current, 'in progress');

    const locker = new pg.Client({ connectionString: url });
    await locker.connect();
    await locker.query('BEGIN; LOCK TABLE items IN ACCESS EXCLUSIVE MODE');
    const env = mock();
    const backup = env.run(activities().backupDatabase, { deploymentId: 'dep-cancelled', target: t }).then(
      () => undefined,
      (e: unknown) => e,
    );
    try {
      await pgDumpWaitingForLock();
      env.cancel();
      expect(await backup).toBeInstanceOf(CancelledFailure);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }

    // Nothing that looks like a backup under the final name.
    expect(existsSync(backupPath(t, 'dep-cancelled'))).toBe(false);
    const leftover = partialDumpPath(t, 'dep-cancelled');
    expect(existsSync(leftover)).toBe(true);

    const pruned = (await mock().run(activities().pruneBackups, { deploymentId: 'dep-next', target: t })) as {
      removed: string[];
    };
    expect(pruned.removed).toEqual([leftover]);
    expect(readdirSync(dir).sort()).toEqual(
      [other, current, join(dir, 'notes.txt')].map((p) => p.slice(dir.length + 1)).sort(),
    );
  }, 60_000);

  it('a backup that completes is renamed into place, verified, with no partial file left', async () => {
    const facts = (await mock().run(activities().backupDatabase, { deploymentId: 'dep-ok', target: t })) as BackupFacts;
    expect(facts.dump!.path).toBe(backupPath(t, 'dep-ok'));
    expect(existsSync(facts.dump!.path)).toBe(true);
    expect(
      format === 'directory' ? statSync(facts.dump!.path).isDirectory() : statSync(facts.dump!.path).size > 0,
    ).toBe(true);
    expect(existsSync(partialDumpPath(t, 'dep-ok'))).toBe(false);
    expect(facts.dump!.archiveEntries).toBeGreaterThan(0);
  }, 60_000);
});
