import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createWriteActivities } from '../../src/activities/writes.js';
import { readConfigFile } from '../../src/config/load.js';
import { workerConfigSchema, type TargetConfig } from '../../src/config/schema.js';
import { createScenario, type Scenario } from '../helpers/scenario.js';

/**
 * stop-writes under a snapshot backup: PostgreSQL's CHECKPOINT first, with writes still flowing,
 * so the checkpoint CREATE DATABASE … TEMPLATE takes inside the pause finds little to write; the
 * pause (the report's stoppedAt) starts only after it.
 */
let s: Scenario;
let target: TargetConfig;

function targetOf(sc: Scenario): TargetConfig {
  const config = workerConfigSchema.parse(readConfigFile(sc.configPath));
  const [app, envs] = Object.entries(config.apps)[0]!;
  return { ...envs[sc.environment]!, app, environment: sc.environment, pgBinDir: config.tools?.pgBinDir };
}
async function superuser(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: inject('pg').superuserUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}
const checkpoints = async () =>
  Number((await s.query<{ n: string }>('SELECT checkpoints_req::text AS n FROM pg_stat_bgwriter'))[0]!.n);
const postStatus = async () =>
  (
    await fetch(`${s.prod.baseUrl}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email: `flush${Date.now()}@example.com`,
        name: 'Flush',
        password: 'correct horse battery',
      }),
    })
  ).status;

beforeAll(async () => {
  s = await createScenario('flushpause', { backup: { method: 'snapshot' } });
  target = targetOf(s);
}, 600_000);
afterAll(async () => s?.close());

describe('stop-writes with a snapshot backup', () => {
  it('without the pg_checkpoint privilege: no checkpoint, the pause as before', async () => {
    const writes = createWriteActivities({ configPath: s.configPath, env: process.env });
    const r = await writes.stopWrites({ target, step: 'stop-writes', exact: true });
    try {
      expect(r.stopped).toBe(true);
      expect(r.flushedMs).toBeUndefined();
      expect(await postStatus()).toBe(503);
    } finally {
      await writes.resumeWrites({ target, step: 'resume-writes' });
    }
  });

  it('with it: checkpoints before pausing, then pauses; the pause starts after the checkpoint', async () => {
    const role = decodeURIComponent(new URL(s.databaseUrl).username).replaceAll('"', '""');
    await superuser(`GRANT pg_checkpoint TO "${role}"`);
    const writes = createWriteActivities({ configPath: s.configPath, env: process.env });
    // Dirty buffers the checkpoint writes out: every message row touched.
    await s.query('UPDATE messages SET body = body');
    const before = await checkpoints();
    const started = Date.now();
    const r = await writes.stopWrites({ target, step: 'stop-writes', exact: true });
    try {
      expect(await checkpoints()).toBeGreaterThan(before);
      expect(r.stopped).toBe(true);
      expect(r.flushedMs).toEqual(expect.any(Number));
      expect(Date.parse(r.at!)).toBeGreaterThanOrEqual(started + r.flushedMs!);
      expect(await postStatus()).toBe(503); // paused: the maintenance mode answers
    } finally {
      await writes.resumeWrites({ target, step: 'resume-writes' });
    }
    expect(await postStatus()).not.toBe(503);
  });

  it('with a dump backup: no checkpoint (pg_dump does not need one), no flushedMs', async () => {
    const writes = createWriteActivities({ configPath: s.configPath, env: process.env });
    const dumpTarget = { ...target, backup: { ...target.backup, method: 'dump' as const } };
    const r = await writes.stopWrites({ target: dumpTarget, step: 'stop-writes', exact: true });
    await writes.resumeWrites({ target: dumpTarget, step: 'resume-writes' });
    expect(r.stopped).toBe(true);
    expect(r.flushedMs).toBeUndefined();
  });
});
