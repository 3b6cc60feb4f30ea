import { randomBytes } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../src/activities/index.js';
import type { WriteCounters } from '../../src/activities/writes.js';
import type { TargetConfig } from '../../src/config/schema.js';

/**
 * The write odometer on a real PostgreSQL. A backend publishes its write counts when it goes idle,
 * but at most once a second; what it held back is published only after 10 s of idleness. A user
 * who writes three rows in quick succession and then goes quiet shows as ONE write for ~10 s. The
 * reading that decides whether a restore would lose writes must still see all three (it used to
 * settle 1.5 s, so the rollback could restore over them without asking).
 */
const database = `writes_${randomBytes(4).toString('hex')}`;
let url: string;
let writer: pg.Client;

beforeAll(async () => {
  const admin = new pg.Client({ connectionString: inject('pg').superuserUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  url = inject('pg').superuserUrl.replace(/\/[^/?]+(\?|$)/, `/${database}$1`);
  writer = new pg.Client({ connectionString: url });
  await writer.connect();
  await writer.query('CREATE TABLE notes (id serial PRIMARY KEY, body text)');
});
afterAll(async () => {
  await writer?.end();
  const admin = new pg.Client({ connectionString: inject('pg').superuserUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
});

describe('countWrites', () => {
  it('sees every write a user made just before, even those PostgreSQL has not published yet', async () => {
    const target = {
      app: 'demo',
      environment: 'test',
      database: { urlEnv: 'DEMO_DB_URL' },
      writes: { policy: 'detect' },
    } as unknown as TargetConfig;
    const { countWrites } = createActivities({ configPath: '/nonexistent.json', env: { DEMO_DB_URL: url } });
    const env = new MockActivityEnvironment();
    const before = (await env.run(countWrites, {
      target,
      step: 'check-lost-writes' as const,
      settleMs: 0,
    })) as WriteCounters; // nothing written yet
    await new Promise((r) => setTimeout(r, 1_100)); // the writer's next flush is allowed again
    for (const body of ['one', 'two', 'three']) await writer.query('INSERT INTO notes (body) VALUES ($1)', [body]);
    const after = (await env.run(countWrites, { target, step: 'check-lost-writes' as const })) as WriteCounters;
    expect((after.tables['public.notes'] ?? 0) - (before.tables['public.notes'] ?? 0)).toBe(3);
  }, 60_000);
});
