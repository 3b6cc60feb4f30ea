import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { DATABASE_PAUSE_MARKS, type DatabasePauseFacts } from '../../src/postgres/databasePause.js';
import { resolveDatabase } from '../../src/activities/activityDeps.js';
import { createActivities } from '../../src/activities/index.js';
import { withClient } from '../../src/postgres/pgClient.js';
import type { TargetConfig } from '../../src/config/schema.js';
import type { WritePoint } from '../../src/plan/lostWrites.js';
import { asSuperuser } from '../helpers/superuser.js';

/**
 * writes.stopAt 'database' on a real PostgreSQL, as the app's own role (a name that needs quotes
 * and is multibyte): its sessions end, new ones read but cannot write, a write transaction open at
 * the pause never commits, ours stay writable; resume restores exactly what was there before, and
 * every call is idempotent (a worker killed mid-pause or mid-resume leaves nothing behind).
 */
const role = `blog"gér é ${randomBytes(3).toString('hex')}`;
const password = `pw-${randomBytes(9).toString('base64url')}`;
const database = `pause_${randomBytes(4).toString('hex')}`;
const qi = (s: string) => `"${s.replaceAll('"', '""')}"`;
let url: string;
let dir: string;

beforeAll(async () => {
  await asSuperuser(`CREATE ROLE ${qi(role)} LOGIN PASSWORD '${password}'`);
  await asSuperuser(`CREATE DATABASE ${database} OWNER ${qi(role)}`);
  const { host, port } = inject('pg');
  url = `postgresql://${encodeURIComponent(role)}:${password}@${host}:${port}/${database}`;
  const c = await appSession();
  await c.query('CREATE TABLE post (id serial PRIMARY KEY, title text NOT NULL)');
  await c.query(`INSERT INTO post (title) VALUES ('first')`);
  await c.end();
  dir = mkdtempSync(join(tmpdir(), 'database-pause-'));
});
afterAll(async () => {
  await asSuperuser(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await asSuperuser(`DROP ROLE IF EXISTS ${qi(role)}`);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A session as the app opens one: the role's defaults apply. */
async function appSession(): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => undefined); // a terminated session surfaces on its next query
  await c.connect();
  return c;
}
/** What an INSERT as the app role does now, in a transaction rolled back: 'written' or the SQLSTATE. */
async function tryInsert(c?: pg.Client): Promise<string> {
  const s = c ?? (await appSession());
  try {
    await s.query('BEGIN');
    await s.query(`INSERT INTO post (title) VALUES ('probe')`);
    await s.query('ROLLBACK');
    return 'written';
  } catch (e) {
    await s.query('ROLLBACK').catch(() => undefined);
    return (e as { code?: string }).code ?? (e as Error).message;
  } finally {
    if (!c) await s.end().catch(() => undefined);
  }
}
/** The role's stored setting in the app's database (undefined: none). */
async function storedSetting(): Promise<string | undefined> {
  const rows = await asSuperuser<{ setconfig: string[] }>(
    `SELECT s.setconfig FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
       JOIN pg_database d ON d.oid = s.setdatabase WHERE r.rolname = $1 AND d.datname = $2`,
    [role, database],
  );
  const entry = rows[0]?.setconfig.find((e) => e.startsWith('default_transaction_read_only='));
  return entry?.split('=')[1];
}
const setStored = (value: string | undefined) =>
  asSuperuser(
    `ALTER ROLE ${qi(role)} IN DATABASE ${database} ${value === undefined ? 'RESET default_transaction_read_only' : `SET default_transaction_read_only = '${value}'`}`,
  );

const target = (writes: Record<string, unknown> = {}) =>
  ({
    app: 'blog',
    environment: 'test',
    appDir: dir,
    commandEnv: {},
    commandTimeouts: { restart: '30 seconds' },
    database: { urlEnv: 'BLOG_DB_URL' },
    requiredEnv: [],
    writes: { policy: 'stop', stopAt: 'database', ...writes },
  }) as unknown as TargetConfig;
const activities = () => createActivities({ configPath: '/nonexistent.json', env: { BLOG_DB_URL: url } });
type Stopped = { stopped: boolean; database?: DatabasePauseFacts };
type Resumed = { resumed: boolean; database?: DatabasePauseFacts; point?: WritePoint };
const stop = (t = target()) =>
  new MockActivityEnvironment().run(activities().stopWrites, {
    target: t,
    step: 'stop-writes' as const,
  }) as Promise<Stopped>;
const resume = (t = target(), step: 'resume-writes' | 'resume-writes-after-rollback' = 'resume-writes') =>
  new MockActivityEnvironment().run(activities().resumeWrites, { target: t, step }) as Promise<Resumed>;

beforeEach(async () => {
  await setStored(undefined);
});

describe("writes paused at the database: the app's role read-only", () => {
  it('ends the sessions of the role, a write transaction open at the pause never commits; reads work, writes are refused', async () => {
    const idle = await appSession();
    const writing = await appSession();
    await writing.query('BEGIN');
    await writing.query(`INSERT INTO post (title) VALUES ('in flight at the pause')`);

    const r = await stop();
    expect(r.stopped).toBe(true);
    expect(r.database).toMatchObject({ role, database, action: 'paused' });
    expect(r.database!.sessionsEnded).toBeGreaterThanOrEqual(2);
    expect(await storedSetting()).toBe(DATABASE_PAUSE_MARKS.pausedOverUnset);

    await expect(writing.query('COMMIT')).rejects.toThrow(/terminat|Connection/i);
    await expect(idle.query('SELECT 1')).rejects.toThrow(/terminat|Connection/i);
    const reader = await appSession();
    expect((await reader.query('SELECT count(*)::int AS n FROM post')).rows[0].n).toBe(1); // the in-flight row never landed
    expect(await tryInsert(reader)).toBe('25006'); // read_only_sql_transaction

    // safe-deploy's own sessions (same role, same database) stay writable: the migration runs in the pause.
    const { db } = resolveDatabase({ configPath: '', env: { BLOG_DB_URL: url } }, target(), 'migrate');
    await withClient(db, (c) => c.query(`INSERT INTO post (title) VALUES ('by safe-deploy in the pause')`));

    const back = await resume();
    expect(back.database).toMatchObject({ action: 'resumed', settingBefore: DATABASE_PAUSE_MARKS.pausedOverUnset });
    expect(back.database!.sessionsEnded).toBeGreaterThanOrEqual(1); // the reader of the pause: its pool reconnects writable
    await expect(reader.query('SELECT 1')).rejects.toThrow(/terminat|Connection/i);
    expect(await storedSetting()).toBeUndefined(); // RESET, as before: no setting at all
    expect(await tryInsert()).toBe('written');
    await reader.end().catch(() => undefined);
    await idle.end().catch(() => undefined);
    await writing.end().catch(() => undefined);
  });

  it('is idempotent: a second pause and a second resume change nothing, a resume without a pause is harmless', async () => {
    expect((await resume(target(), 'resume-writes-after-rollback')).database).toMatchObject({
      action: 'not paused by safe-deploy',
      sessionsEnded: 0,
    });
    expect((await stop()).database?.action).toBe('paused');
    expect((await stop()).database?.action).toBe('already paused'); // a retry, a second host
    expect(await tryInsert()).toBe('25006');
    expect((await resume()).database?.action).toBe('resumed');
    expect((await resume()).database?.action).toBe('not paused by safe-deploy');
    expect(await storedSetting()).toBeUndefined();
    expect(await tryInsert()).toBe('written');
  });

  it('a worker killed mid-resume (the resuming mark left) is finished by the next resume or paused again by a rollback', async () => {
    await stop();
    await setStored(DATABASE_PAUSE_MARKS.resumingToUnset); // the first half of a resume, as a dead worker left it
    expect((await resume()).database?.action).toBe('resumed');
    expect(await storedSetting()).toBeUndefined();

    await stop();
    await setStored(DATABASE_PAUSE_MARKS.resumingToUnset);
    expect((await stop()).database?.action).toBe('paused'); // the rollback's pause again
    expect(await storedSetting()).toBe(DATABASE_PAUSE_MARKS.pausedOverUnset);
    await resume();
    expect(await storedSetting()).toBeUndefined();
  });

  it("restores the role's own setting: an explicit off comes back as off, a read-only role is left read-only", async () => {
    await setStored('off');
    expect((await stop()).database).toMatchObject({ action: 'paused', settingBefore: 'off' });
    expect(await storedSetting()).toBe(DATABASE_PAUSE_MARKS.pausedOverOff);
    expect(await tryInsert()).toBe('25006');
    await resume();
    expect(await storedSetting()).toBe('off');
    expect(await tryInsert()).toBe('written');

    await setStored('on'); // a DBA's own read-only role: not ours to undo
    expect((await stop()).database?.action).toBe('already read-only by its own setting');
    expect((await resume()).database?.action).toBe('not paused by safe-deploy');
    expect(await storedSetting()).toBe('on');
  });

  it("the write point's reading resumes the role without ending its own session", async () => {
    await stop();
    const r = (await new MockActivityEnvironment().run(activities().resumeWrites, {
      target: target(),
      step: 'resume-writes' as const,
      readPoint: true,
    })) as Resumed;
    expect(r.database?.action).toBe('resumed');
    expect(r.point?.rows['public.post']).toBeGreaterThanOrEqual(1);
    expect(await tryInsert()).toBe('written');
  });

  it('writes.role names the role; one that does not exist is a clear, non-retryable error and changes nothing', async () => {
    const err = await stop(target({ role: 'nobody-here' })).catch((e) => e);
    expect(err).toMatchObject({ type: 'InvalidConfig', nonRetryable: true });
    expect(err.message).toContain('"nobody-here" does not exist');
    expect(await storedSetting()).toBeUndefined();
    expect((await stop(target({ role }))).database?.action).toBe('paused');
    await resume(target({ role }));
  });
});
