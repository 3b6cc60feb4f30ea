import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { DEPLOY_APP, DEPLOY_ENVIRONMENT, DEPLOY_REF } from '../../src/shared/searchAttributes.js';
import { eventually, runCli } from '../helpers/cli.js';

/**
 * `safe-deploy schedule …` through the built CLI against the real dev server: a Temporal Schedule
 * in a low-traffic window, its whole life. No worker is needed for a schedule to start a workflow.
 */

let connection: Connection;
let client: Client;
const suffix = randomUUID().slice(0, 8);
const env = `sched-${suffix}`;
const scheduleId = `deploy-farm-chat-${env}`;
const taskQueue = `no-worker-${suffix}`;
const started: string[] = [];

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
});
afterAll(async () => {
  for (const id of started)
    await client.workflow
      .getHandle(id)
      .terminate('test over')
      .catch(() => undefined);
  await client.schedule
    .getHandle(scheduleId)
    .delete()
    .catch(() => undefined);
  await connection?.close();
});

/** Wall-clock parts of an instant in a zone, read with Intl independently of the CLI's formatting. */
const local = (iso: string, timeZone: string) =>
  new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(iso));

const describeJson = async () => {
  const r = await runCli(['schedule', 'describe', scheduleId, '--json']);
  expect(r.code, r.stderr).toBe(0);
  return r.json<{
    state: { paused: boolean; note?: string };
    spec: { timezone: string };
    policies: { overlap: string; catchupWindow: number };
    action: { workflowType: string; taskQueue: string; args: unknown[] };
    info: { nextActionTimes: string[] };
  }>();
};

describe('safe-deploy schedule', () => {
  let nextRuns: string[];

  it('create: "sun 03:00" in Europe/Madrid, overlap SKIP, a catch-up window and a note', async () => {
    // No worker on this queue: --no-validate creates it unchecked (scheduleSafety.test.ts checks through one).
    const r = await runCli([
      '--task-queue',
      taskQueue,
      'schedule',
      'create',
      '--app',
      'farm-chat',
      '--env',
      env,
      '--ref',
      'v2',
      '--at',
      'sun 03:00',
      '--time-zone',
      'Europe/Madrid',
      '--note',
      'Satshot release',
      '--catchup-window',
      '30m',
      '--no-validate',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const created = r.json<{ scheduleId: string; nextActionTimes: string[] }>();
    expect(created.scheduleId).toBe(scheduleId);
    expect(created).toMatchObject({ validation: { checked: false } });
    nextRuns = created.nextActionTimes;
    expect(nextRuns.length).toBeGreaterThan(2);
    // Every run is a Sunday 03:00 in Madrid, i.e. 01:00 or 02:00 UTC (summer or winter time).
    for (const t of nextRuns) {
      expect(local(t, 'Europe/Madrid')).toBe('Sun 03:00');
      expect([1, 2]).toContain(new Date(t).getUTCHours());
    }
    const again = await runCli([
      'schedule',
      'create',
      '--app',
      'farm-chat',
      '--env',
      env,
      '--ref',
      'v2',
      '--at',
      'sun 03:00',
    ]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`schedule ${scheduleId} already exists`);
  });

  it('list: shows it with its next run in its own zone', async () => {
    const listed = await eventually('the schedule in the list', async () => {
      const r = await runCli(['schedule', 'list', '--json']);
      expect(r.code, r.stderr).toBe(0);
      return r
        .json<{
          schedules: { scheduleId: string; paused: boolean; when: string; note?: string; nextActionTimes: string[] }[];
        }>()
        .schedules.find((s) => s.scheduleId === scheduleId && s.nextActionTimes.length);
    });
    expect(listed).toMatchObject({ paused: false, when: 'sun 03:00 Europe/Madrid', note: 'Satshot release' });
    expect(listed.nextActionTimes[0]).toBe(nextRuns[0]);
    const text = await runCli(['schedule', 'list']);
    const row = text.stdout.split('\n').find((l) => l.startsWith(scheduleId));
    expect(row).toMatch(
      /active\s+sun 03:00 Europe\/Madrid\s+Sun \d{4}-\d\d-\d\d 03:00:00 Europe\/Madrid\s+Satshot release/,
    );
  });

  it('describe: the calendar, the policies and the action that starts safeDeployment with the request', async () => {
    const d = await describeJson();
    expect(d.spec.timezone).toBe('Europe/Madrid');
    expect(d.policies).toMatchObject({ overlap: 'SKIP', catchupWindow: 30 * 60_000 });
    expect(d.state).toMatchObject({ paused: false, note: 'Satshot release' });
    expect(d.action).toMatchObject({
      workflowType: 'safeDeployment',
      taskQueue,
      args: [
        {
          app: 'farm-chat',
          environment: env,
          ref: 'v2',
          dryRun: false,
          reason: 'Satshot release',
          requestedBy: `schedule ${scheduleId}`,
        },
      ],
    });
    const text = await runCli(['schedule', 'describe', scheduleId]);
    expect(text.stdout).toContain(`schedule ${scheduleId}: active — Satshot release`);
    expect(text.stdout).toContain('policies:  overlap SKIP, catch-up window 1800 s');
  });

  it('pause: paused, with the note saying why and the note it had; unpause puts that note back', async () => {
    const paused = await runCli(['schedule', 'pause', scheduleId, '--note', 'release freeze']);
    expect(paused.code, paused.stderr).toBe(0);
    expect(paused.stdout).toContain(`paused schedule ${scheduleId}: release freeze`);
    expect(await describeJson()).toMatchObject({
      state: { paused: true, note: 'release freeze — note: Satshot release' },
    });
    // A paused schedule is a release freeze: trigger refuses, saying why, and starts nothing.
    const refused = await runCli(['schedule', 'trigger', scheduleId]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `schedule ${scheduleId} is paused: release freeze — note: Satshot release; nothing was started. To deploy anyway: safe-deploy schedule trigger ${scheduleId} --force`,
    );
    expect((await client.schedule.getHandle(scheduleId).describe()).info.numActionsTaken).toBe(0);
    const unpaused = await runCli(['schedule', 'unpause', scheduleId]);
    expect(unpaused.code, unpaused.stderr).toBe(0);
    expect(unpaused.stdout).toContain(`unpaused schedule ${scheduleId}: unpaused by tester`);
    expect(await describeJson()).toMatchObject({ state: { paused: false, note: 'Satshot release' } });
  });

  it('trigger: a safeDeployment workflow really starts, with the request and the Deploy* search attributes; a second is skipped (SKIP)', async () => {
    const r = await runCli(['schedule', 'trigger', scheduleId, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const { workflowId } = r.json<{ workflowId: string }>();
    started.push(workflowId);
    expect(workflowId).toMatch(new RegExp(`^deploy-farm-chat-${env}-v2-`));
    const handle = client.workflow.getHandle(workflowId);
    const d = await handle.describe();
    expect(d.type).toBe('safeDeployment');
    expect(d.taskQueue).toBe(taskQueue);
    expect(d.status.name).toBe('RUNNING');
    expect([
      d.typedSearchAttributes.get(DEPLOY_APP),
      d.typedSearchAttributes.get(DEPLOY_ENVIRONMENT),
      d.typedSearchAttributes.get(DEPLOY_REF),
    ]).toEqual(['farm-chat', env, 'v2']);
    const history = await handle.fetchHistory();
    const input = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!.data!;
    expect(JSON.parse(Buffer.from(input).toString())).toMatchObject({ app: 'farm-chat', environment: env, ref: 'v2' });

    const second = await runCli(['schedule', 'trigger', scheduleId]);
    expect(second.code).toBe(2);
    expect(second.stdout).toContain('skipped, one of its deployments is still running (overlap policy SKIP)');

    // The list says how its last run is doing: running (no worker here), then terminated.
    const lastRun = async () =>
      (await runCli(['schedule', 'list', '--json']))
        .json<{ schedules: { scheduleId: string; lastRun?: { workflowId: string; status: string } }[] }>()
        .schedules.find((s) => s.scheduleId === scheduleId)?.lastRun;
    expect(await lastRun()).toMatchObject({ workflowId, status: 'RUNNING' });
    await handle.terminate('test over');
    expect(await lastRun()).toMatchObject({ workflowId, status: 'TERMINATED' });
  });

  it('delete: gone; then describe and pause say so (exit 6)', async () => {
    const r = await runCli(['schedule', 'delete', scheduleId]);
    expect(r.code, r.stderr).toBe(0);
    for (const args of [
      ['schedule', 'describe', scheduleId],
      ['schedule', 'pause', scheduleId],
    ]) {
      const after = await runCli(args);
      expect(after.code).toBe(6);
      expect(after.stderr.trim()).toBe(`no schedule ${scheduleId} in this namespace`);
    }
  });
});
