import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createWorker } from '../../src/worker.js';
import { eventually, runCli } from '../helpers/cli.js';

/**
 * Schedules that cannot surprise anyone, through the built CLI against the real dev server and a
 * real worker (its real loadConfig; a config with one app and environment and no database URL):
 * a schedule no worker can serve is refused at create, a paused schedule is not triggered without
 * --force, pausing keeps the note, and the list says how the last run ended.
 */

const suffix = randomUUID().slice(0, 8);
const env = `safe-${suffix}`;
const taskQueue = `schedules-${suffix}`;
const scheduleId = `deploy-farm-chat-${env}`;
const created: string[] = [];
let connection: Connection;
let client: Client;
let native: NativeConnection;
let worker: Worker;
let running: Promise<void>;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'schedule-safety-'));
  const configPath = join(dir, 'safe-deploy.config.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      tools: { pgBinDir: inject('pg').binDir },
      apps: {
        'farm-chat': {
          [env]: {
            appDir: join(dir, 'app'),
            database: { urlEnv: 'SCHEDULE_TEST_DATABASE_URL_NEVER_SET' },
            backup: { dir: join(dir, 'backups') },
            commands: { restart: ['true'] },
            writes: { policy: 'detect' },
            baseUrl: 'http://127.0.0.1:9',
          },
        },
      },
    }),
  );
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
  native = await NativeConnection.connect({ address: inject('temporalAddress') });
  worker = await createWorker({
    connection: native,
    taskQueue,
    configPath,
    workflowBundle: { codePath: inject('workflowBundlePath') },
  });
  running = worker.run();
});
afterAll(async () => {
  for (const id of created)
    await client.schedule
      .getHandle(id)
      .delete()
      .catch(() => undefined);
  worker?.shutdown();
  await running?.catch(() => undefined);
  await native?.close();
  await connection?.close();
});

const create = (args: string[], queue = taskQueue) =>
  runCli([
    '--task-queue',
    queue,
    'schedule',
    'create',
    '--app',
    'farm-chat',
    '--ref',
    'v2',
    '--at',
    'sun 03:00',
    '--time-zone',
    'Europe/Madrid',
    ...args,
  ]);
const exists = async (id: string) => (await runCli(['schedule', 'describe', id])).code !== 6;

describe('schedule create asks the worker first', () => {
  it('refuses an environment the worker does not have, in the worker’s own words, and creates nothing', async () => {
    const id = `nowhere-${suffix}`;
    const r = await create(['--env', 'nowhere', '--id', id]);
    expect(r.code, r.stdout).toBe(2);
    expect(r.stderr).toContain(
      `refused: the worker on task queue ${taskQueue} cannot deploy this: [load-config] request.environment: app 'farm-chat' has no environment 'nowhere' (configured: ${env})`,
    );
    expect(await exists(id)).toBe(false);
  });

  it('refuses when no worker answers on the task queue, within --validate-timeout, and creates nothing', async () => {
    const id = `nobody-${suffix}`;
    const started = Date.now();
    const r = await create(['--env', env, '--id', id, '--validate-timeout', '2s'], `nobody-${suffix}`);
    expect(r.code, r.stdout).toBe(2);
    expect(r.stderr).toContain(`refused: no worker answered on task queue nobody-${suffix} within 2 s`);
    expect(r.stderr).toContain('--no-validate');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(await exists(id)).toBe(false);
  });

  it('creates it once the worker confirms it has the app and environment', async () => {
    const r = await create(['--env', env, '--note', 'Satshot release', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    created.push(scheduleId);
    expect(r.stdout).toContain(`created schedule ${scheduleId}`);
    expect(r.stdout).toContain(
      `  checked by the worker on task queue ${taskQueue}: it has farm-chat ${env} (one host)`,
    );
    // Next runs in Madrid, UTC in parentheses.
    expect(r.stdout).toMatch(
      / {2}next runs: Sun \d{4}-\d\d-\d\d 03:00:00 Europe\/Madrid \(\d{4}-\d\d-\d\d 0[12]:00 UTC\)/,
    );
  });
});

describe('a paused schedule is a release freeze', () => {
  it('pause keeps the note the schedule was created with, after the pause note', async () => {
    const r = await runCli(['schedule', 'pause', scheduleId, '--note', 'release freeze', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toEqual({
      scheduleId,
      paused: true,
      note: 'release freeze',
      scheduleNote: 'release freeze — note: Satshot release',
    });
    // Paused twice: the newer pause note replaces the older, the created note stays once.
    await runCli(['schedule', 'pause', scheduleId, '--note', 'freeze until Monday']);
    expect((await client.schedule.getHandle(scheduleId).describe()).state).toMatchObject({
      paused: true,
      note: 'freeze until Monday — note: Satshot release',
    });
  });

  it('trigger is refused while paused, with the pause note, and starts nothing', async () => {
    const r = await runCli(['schedule', 'trigger', scheduleId]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      `schedule ${scheduleId} is paused: freeze until Monday — note: Satshot release; nothing was started. To deploy anyway: safe-deploy schedule trigger ${scheduleId} --force`,
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await client.schedule.getHandle(scheduleId).describe()).info.numActionsTaken).toBe(0);
  });

  it('trigger --force starts it anyway; the list then shows how that run ended', async () => {
    const r = await runCli(['schedule', 'trigger', scheduleId, '--force', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const { workflowId, forced } = r.json<{ workflowId: string; forced: boolean }>();
    expect(forced).toBe(true);
    // The worker runs the dry run: its pre-checks stop at the missing database URL (nothing changed).
    await client.workflow
      .getHandle(workflowId)
      .result()
      .catch(() => undefined);

    const row = await eventually('the schedule with its last run', async () => {
      const list = await runCli(['schedule', 'list', '--json']);
      expect(list.code, list.stderr).toBe(0);
      return list
        .json<{
          schedules: {
            scheduleId: string;
            lastRun?: { workflowId: string; status: string; outcome?: string; startedAt: string };
          }[];
        }>()
        .schedules.find((s) => s.scheduleId === scheduleId && s.lastRun);
    });
    expect(row.lastRun).toMatchObject({ workflowId, outcome: 'aborted' });
    expect(['COMPLETED', 'FAILED']).toContain(row.lastRun!.status);
    const text = await runCli(['schedule', 'list']);
    expect(text.stdout.split('\n')[0]).toMatch(/NOTE\s+LAST RUN$/);
    expect(text.stdout.split('\n').find((l) => l.startsWith(scheduleId))).toMatch(
      /^\S+\s+paused\s+sun 03:00 Europe\/Madrid\s+.*freeze until Monday — note: Satshot release\s+aborted \(started \w{3} \d{4}-\d\d-\d\d \d\d:\d\d:\d\d Europe\/Madrid\)$/,
    );
  });

  it('unpause puts the created note back', async () => {
    const r = await runCli(['schedule', 'unpause', scheduleId]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`unpaused schedule ${scheduleId}: unpaused by tester\n  its note is back: Satshot release\n`);
    expect((await client.schedule.getHandle(scheduleId).describe()).state).toMatchObject({
      paused: false,
      note: 'Satshot release',
    });
  });
});
