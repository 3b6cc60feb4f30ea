import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../src/activities/index.js';
import { readPoint } from '../../src/activities/writes.js';
import type { TargetConfig } from '../../src/config/schema.js';
import type { WritePoint } from '../../src/plan/lostWrites.js';

/**
 * Write points on a real PostgreSQL: "changed since P" is exact at once — no statistics, no
 * sleep. Every kind of write shows; what leaves the state equal to P's, and writes to another
 * database of the same cluster (transaction ids are cluster-wide), do not.
 */
const database = `points_${randomBytes(4).toString('hex')}`;
const other = `${database}_other`;
let url: string;
let otherUrl: string;
let writer: pg.Client;
let reader: pg.Client;
let dir: string;

const urlOf = (name: string) => inject('pg').superuserUrl.replace(/\/[^/?]+(\?|$)/, `/${name}$1`);
const connect = async (u: string) => {
  const c = new pg.Client({ connectionString: u });
  await c.connect();
  return c;
};

beforeAll(async () => {
  const admin = await connect(inject('pg').superuserUrl);
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.query(`CREATE DATABASE ${other}`);
  await admin.end();
  url = urlOf(database);
  otherUrl = urlOf(other);
  writer = await connect(url);
  reader = await connect(url);
  dir = mkdtempSync(join(tmpdir(), 'write-points-'));
});
afterAll(async () => {
  await writer?.end();
  await reader?.end();
  const admin = await connect(inject('pg').superuserUrl);
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.query(`DROP DATABASE IF EXISTS ${other} WITH (FORCE)`);
  await admin.end();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A fresh table with `rows` rows, then a point. */
async function tableAndPoint(name: string, rows: number): Promise<WritePoint> {
  await writer.query(`CREATE TABLE ${name} (id int PRIMARY KEY, body text)`);
  if (rows > 0) await writer.query(`INSERT INTO ${name} SELECT g, 'row ' || g FROM generate_series(1, ${rows}) g`);
  return readPoint(reader);
}
const changedSincePoint = async (p: WritePoint) => (await readPoint(reader, p)).changed!;

describe('write points', () => {
  it("a first point counts every table's rows in its snapshot and sleeps 0 s", async () => {
    const p = await tableAndPoint('first_point', 3);
    expect(p.rows['public.first_point']).toBe(3);
    expect(p.snapshot).toMatch(/^\d+:\d+:/);
    expect(p.sleptMs).toBe(0);
    expect(p.changed).toBeUndefined();
  });

  it('inserts, updates and deletes each show as changed since the point', async () => {
    const p = await tableAndPoint('iud', 10);
    expect((await changedSincePoint(p))['public.iud']).toBeUndefined();
    await writer.query(`INSERT INTO iud VALUES (11, 'new')`);
    expect((await changedSincePoint(p))['public.iud']).toBe(1);
    const p2 = await readPoint(reader);
    await writer.query(`UPDATE iud SET body = 'changed' WHERE id = 1`);
    expect((await changedSincePoint(p2))['public.iud']).toBe(2); // the new version + the old one gone
    const p3 = await readPoint(reader);
    await writer.query('DELETE FROM iud WHERE id = 2');
    expect((await changedSincePoint(p3))['public.iud']).toBe(1);
    // A delete and an insert between the same two points: the count stays 10, the change shows.
    const p4 = await readPoint(reader);
    await writer.query('DELETE FROM iud WHERE id = 3');
    await writer.query(`INSERT INTO iud VALUES (3, 'again')`);
    expect((await readPoint(reader, p4)).rows['public.iud']).toBe(p4.rows['public.iud']);
    expect((await changedSincePoint(p4))['public.iud']).toBe(2);
  });

  it('a row inserted then deleted since the point leaves the state equal: nothing to lose, nothing counted', async () => {
    const p = await tableAndPoint('flicker', 5);
    await writer.query(`INSERT INTO flicker VALUES (6, 'brief')`);
    await writer.query('DELETE FROM flicker WHERE id = 6');
    expect((await changedSincePoint(p))['public.flicker']).toBeUndefined();
  });

  it("a transaction in progress at the point that commits later counts as since (at or past xmax, or in the point's in-progress list)", async () => {
    await writer.query('CREATE TABLE in_flight (id int PRIMARY KEY)');
    for (const later of [false, true]) {
      const slow = await connect(url);
      try {
        await slow.query('BEGIN');
        await slow.query(`INSERT INTO in_flight VALUES (${later ? 2 : 1})`); // has an xid, not committed
        const xid = (await slow.query<{ x: string }>('SELECT pg_current_xact_id()::text AS x')).rows[0]!.x;
        // A later transaction that commits first puts the slow one below xmax, into the list.
        if (later) await writer.query(`INSERT INTO in_flight VALUES (100)`);
        const p = await readPoint(reader);
        const [, xmax, xip] = p.snapshot.split(':');
        expect(later ? xip!.split(',') : [xmax]).toContain(xid);
        const base = p.rows['public.in_flight']!;
        await slow.query('COMMIT');
        const now = await readPoint(reader, p);
        expect(now.rows['public.in_flight']).toBe(base + 1);
        expect(now.changed!['public.in_flight']).toBe(1);
      } finally {
        await slow.end();
      }
    }
  });

  it('writes to another database of the same cluster do not count', async () => {
    const p = await tableAndPoint('quiet', 4);
    const o = await connect(otherUrl);
    try {
      await o.query('CREATE TABLE elsewhere (id int)');
      await o.query('INSERT INTO elsewhere SELECT generate_series(1, 50)');
      await o.query('UPDATE elsewhere SET id = id + 1');
    } finally {
      await o.end();
    }
    const now = await readPoint(reader, p);
    expect(now.changed).toEqual({});
    expect(Object.keys(now.rows)).not.toContain('public.elsewhere');
  });

  it('TRUNCATE counts every row the point had', async () => {
    const p = await tableAndPoint('emptied', 7);
    await writer.query('TRUNCATE emptied');
    expect((await changedSincePoint(p))['public.emptied']).toBe(7);
  });

  it('a table created since the point counts its rows; a table dropped since counts the rows it had', async () => {
    await writer.query('CREATE TABLE doomed (id int)');
    await writer.query('INSERT INTO doomed SELECT generate_series(1, 3)');
    const p = await readPoint(reader);
    await writer.query('CREATE TABLE born (id int)');
    await writer.query('INSERT INTO born SELECT generate_series(1, 2)');
    await writer.query('DROP TABLE doomed');
    const changed = await changedSincePoint(p);
    expect(changed['public.born']).toBe(2);
    expect(changed['public.doomed']).toBe(3);
  });

  it("a TRUNCATE right after the snapshot waits for the point's count (every table is locked before the snapshot)", async () => {
    const p0 = await tableAndPoint('raced', 6);
    const truncater = await connect(url);
    let truncated: Promise<unknown> | undefined;
    try {
      // Between the snapshot and the counts, someone truncates: the point still has 6 rows.
      const p = await readPoint(reader, undefined, async () => {
        truncated = truncater.query('TRUNCATE raced');
        await new Promise((r) => setTimeout(r, 300));
      });
      expect(p.rows['public.raced']).toBe(p0.rows['public.raced']);
      await truncated;
      expect((await changedSincePoint(p))['public.raced']).toBe(6);
    } finally {
      await truncater.end();
    }
  });
});

describe('resumeWrites under policy stop: the point is the paused state, the pause ends before the counting', () => {
  const target = (resume: string[]) =>
    ({
      app: 'demo',
      environment: 'test',
      appDir: dir,
      commandEnv: {},
      commandTimeouts: { restart: '30 seconds' },
      database: { urlEnv: 'DEMO_DB_URL' },
      writes: { policy: 'stop', stop: ['true'], resume },
    }) as unknown as TargetConfig;

  /** A resume command that, like the app let back in, commits a write at once. */
  const writingResume = () => {
    const script = join(dir, 'resume.cjs');
    const pgPath = createRequire(import.meta.url).resolve('pg');
    writeFileSync(
      script,
      `const pg = require(${JSON.stringify(pgPath)});
const c = new pg.Client({ connectionString: ${JSON.stringify(url)} });
c.connect().then(() => c.query("INSERT INTO paused_app VALUES (1000, 'written just after the resume')")).then(() => c.end());`,
    );
    return [process.execPath, script];
  };

  it('a write committed by the resume command itself is not in the point and shows as since', async () => {
    await writer.query('CREATE TABLE paused_app (id int PRIMARY KEY, body text)');
    await writer.query(`INSERT INTO paused_app SELECT g, 'row' FROM generate_series(1, 20) g`);
    const { resumeWrites, readWritePoint } = createActivities({
      configPath: '/nonexistent.json',
      env: { DEMO_DB_URL: url },
    });
    const env = new MockActivityEnvironment();
    const t = target(writingResume());
    const r = (await env.run(resumeWrites, { target: t, step: 'resume-writes' as const, readPoint: true })) as {
      resumed: boolean;
      point?: WritePoint;
    };
    if (!r.point) throw new Error('no write point');
    expect(r.resumed).toBe(true);
    expect(r.point.rows['public.paused_app']).toBe(20); // the paused state
    expect(r.point.uncertain).toBeUndefined();
    expect((await writer.query('SELECT count(*)::int AS n FROM paused_app')).rows[0].n).toBe(21); // the resume command did write
    const later = (await env.run(readWritePoint, {
      target: t,
      step: 'check-lost-writes' as const,
      since: r.point,
    })) as WritePoint;
    expect(later.changed).toEqual({ 'public.paused_app': 1 });
    expect(later.sleptMs).toBe(0);
  });

  it('a retried resume reading says its point may be late', async () => {
    const { resumeWrites } = createActivities({ configPath: '/nonexistent.json', env: { DEMO_DB_URL: url } });
    const env = new MockActivityEnvironment({ attempt: 2 });
    const r = (await env.run(resumeWrites, {
      target: target(['true']),
      step: 'resume-writes' as const,
      readPoint: true,
    })) as { point?: WritePoint };
    expect(r.point?.uncertain).toContain('attempt 2');
  });

  it('without readPoint (deployments started before write points) it only runs the command', async () => {
    const { resumeWrites } = createActivities({ configPath: '/nonexistent.json', env: { DEMO_DB_URL: url } });
    expect(
      await new MockActivityEnvironment().run(resumeWrites, {
        target: target(['true']),
        step: 'resume-writes' as const,
      }),
    ).toEqual({ resumed: true });
  });
});
