import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEPLOY_APP, deploySearchAttributes } from '../../src/shared/searchAttributes.js';
import { eventually, runCli } from '../helpers/cli.js';

/**
 * The deployment commands through the built CLI against the real dev server, with no worker:
 * what they do to a workflow is visible in its description and history. (Following a deployment
 * with a worker: test/cli/follow.test.ts.)
 */

let connection: Connection;
let client: Client;
const suffix = randomUUID().slice(0, 8);
const taskQueue = `no-worker-${suffix}`;
const toTerminate: string[] = [];

beforeAll(async () => {
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
});
afterAll(async () => {
  for (const id of toTerminate)
    await client.workflow
      .getHandle(id)
      .terminate('test over')
      .catch(() => undefined);
  await connection?.close();
});

/** A safeDeployment nobody runs: enough for visibility, cancel and describe. */
async function idleDeployment(app: string, environment: string) {
  const workflowId = `cli-${app}-${environment}-${randomUUID().slice(0, 6)}`;
  toTerminate.push(workflowId);
  return client.workflow.start('safeDeployment', {
    taskQueue,
    workflowId,
    args: [{ app, environment, ref: 'v2' }],
    typedSearchAttributes: deploySearchAttributes({ app, environment, ref: 'v2' }),
  });
}

describe('--help', () => {
  it('has examples on every command', async () => {
    const commands = [
      [],
      ['start'],
      ['status'],
      ['list'],
      ['approve'],
      ['reject'],
      ['rollback'],
      ['cancel'],
      ['schedule'],
      ...['create', 'list', 'describe', 'pause', 'unpause', 'trigger', 'delete'].map((c) => ['schedule', c]),
    ];
    const runs = [];
    // Four at a time: the machine running the suite is shared.
    for (let i = 0; i < commands.length; i += 4)
      runs.push(...(await Promise.all(commands.slice(i, i + 4).map((c) => runCli([...c, '--help'])))));
    runs.forEach((r, i) => {
      expect(r.code, commands[i]!.join(' ')).toBe(0);
      expect(r.stdout, commands[i]!.join(' ')).toMatch(/Examples:\n {2}safe-deploy /);
    });
    expect(runs[0]!.stdout).toContain('Exit codes: 0 deployed or dry-run');
  }, 120_000);

  it("a usage error is a refusal: exit 2 with the command's help", async () => {
    for (const args of [
      ['approve', 'some-id'],
      ['list', '--bogus'],
      ['schedule', 'create', '--app', 'farm-chat'],
    ]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^error: .*\n[\s\S]*Examples:/);
    }
  });
});

describe('start --no-follow', () => {
  it('starts safeDeployment with the request (monitor minutes, window, requested by); search attributes are left to the workflow', async () => {
    const r = await runCli([
      '--task-queue',
      taskQueue,
      'start',
      '--app',
      'farm-chat',
      '--env',
      `start-${suffix}`,
      '--ref',
      'v2',
      '--monitor-minutes',
      '30',
      '--window',
      'sun 03:00-05:00 Europe/Madrid',
      '--reason',
      'Satshot',
      '--no-follow',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const { workflowId } = r.json<{ workflowId: string }>();
    toTerminate.push(workflowId);
    expect(workflowId).toMatch(new RegExp(`^deploy-farm-chat-start-${suffix}-v2-[0-9a-f]{6}$`));
    const handle = client.workflow.getHandle(workflowId);
    const d = await handle.describe();
    expect(d.type).toBe('safeDeployment');
    // Set by the workflow (only those the namespace has): a namespace without them still accepts the start.
    expect(d.typedSearchAttributes.get(DEPLOY_APP)).toBeUndefined();
    const started = (await handle.fetchHistory()).events![0]!.workflowExecutionStartedEventAttributes!;
    expect(JSON.parse(Buffer.from(started.input!.payloads![0]!.data!).toString())).toEqual({
      app: 'farm-chat',
      environment: `start-${suffix}`,
      ref: 'v2',
      dryRun: false,
      reason: 'Satshot',
      requestedBy: 'tester',
      monitorMinutes: 30,
      window: { days: ['sun'], start: '03:00', end: '05:00', timeZone: 'Europe/Madrid' },
    });
  });

  it('refuses a bad window before starting anything (exit 2)', async () => {
    const env = `bad-${suffix}`;
    const r = await runCli([
      'start',
      '--app',
      'farm-chat',
      '--env',
      env,
      '--ref',
      'v2',
      '--window',
      'sun 03:00-05:00 Mars/Olympus',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('invalid request: request.window.timeZone: an IANA time zone such as Europe/Madrid');
    const count = await client.workflow.count(`WorkflowType = 'safeDeployment' AND DeployEnvironment = '${env}'`);
    expect(count.count).toBe(0);
  });
});

describe('list', () => {
  it('filters by the Deploy* search attributes', async () => {
    const a = await idleDeployment(`app-a-${suffix}`, 'production');
    const b = await idleDeployment(`app-b-${suffix}`, 'staging');
    const ids = async (...filter: string[]) => {
      const r = await runCli(['list', ...filter, '--json']);
      expect(r.code, r.stderr).toBe(0);
      return r.json<{ deployments: { workflowId: string }[] }>().deployments.map((d) => d.workflowId);
    };
    const onlyA = await eventually('app a in the list', async () => {
      const found = await ids('--app', `app-a-${suffix}`);
      return found.length ? found : undefined;
    });
    expect(onlyA).toEqual([a.workflowId]);
    expect(await ids('--app', `app-b-${suffix}`, '--env', 'staging')).toEqual([b.workflowId]);
    expect(await ids('--app', `app-b-${suffix}`, '--env', 'production')).toEqual([]);
    expect(await ids('--app', `app-a-${suffix}`, '--outcome', 'deployed')).toEqual([]);

    const text = await runCli(['list', '--app', `app-b-${suffix}`]);
    expect(text.stdout.split('\n')[0]).toMatch(/^WORKFLOW ID\s+STATUS\s+APP\s+ENV\s+REF\s+OUTCOME\s+STARTED$/);
    expect(text.stdout.split('\n')[1]).toMatch(
      new RegExp(
        `^${b.workflowId}\\s+RUNNING\\s+app-b-${suffix}\\s+staging\\s+v2\\s+-\\s+\\w{3} \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC$`,
      ),
    );
  });

  it('refuses a filter that is not a slug or an outcome (exit 2)', async () => {
    const r = await runCli(['list', '--app', "x' OR 1=1"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--app: use lowercase letters');
  });
});

describe('approve, reject, rollback, cancel, status: a deployment that is not there', () => {
  it.each([['approve'], ['reject'], ['rollback']])(
    '%s on an unknown id: a clear message and exit 6',
    async (command) => {
      const id = `no-such-deployment-${suffix}`;
      const r = await runCli([command, id, '--reason', 'test']);
      expect(r.code).toBe(6);
      expect(r.stderr.trim()).toBe(`no deployment ${id} in this namespace`);
      const json = await runCli([command, id, '--reason', 'test', '--json']);
      expect(json.code).toBe(6);
      expect(json.json()).toEqual({ error: `no deployment ${id} in this namespace` });
    },
  );

  it('status and cancel on an unknown id: exit 6', async () => {
    for (const command of ['status', 'cancel']) {
      const r = await runCli([command, `no-such-deployment-${suffix}`]);
      expect(r.code, command).toBe(6);
      expect(r.stderr).toContain('no deployment');
    }
  });

  it('approve and cancel on a deployment that has ended: refused (exit 2)', async () => {
    const h = await idleDeployment('farm-chat', `ended-${suffix}`);
    await h.terminate('test');
    for (const command of [
      ['approve', h.workflowId, '--reason', 'x'],
      ['cancel', h.workflowId],
    ]) {
      const r = await runCli(command);
      expect(r.code, command[0]).toBe(2);
      expect(r.stderr.trim()).toBe(
        `deployment ${h.workflowId} has already ended (TERMINATED); nothing to ${command[0]}`,
      );
    }
  });

  it('approve without a reason is refused before connecting', async () => {
    const r = await runCli(['approve', 'x', '--reason', ' '], { env: { TEMPORAL_ADDRESS: '127.0.0.1:1' } });
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe('--reason: say why (kept in the workflow history)');
  });
});

describe('cancel and status on a running deployment (no worker)', () => {
  it('cancel records the cancel request in the history', async () => {
    const h = await idleDeployment('farm-chat', `cancel-${suffix}`);
    const r = await runCli(['cancel', h.workflowId]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`cancel requested for ${h.workflowId}`);
    const types = (await h.fetchHistory()).events!.map((e) => e.eventType);
    expect(types).toContain(temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED);
  });

  it('status says RUNNING and that no worker answered, instead of hanging', async () => {
    const h = await idleDeployment('farm-chat', `status-${suffix}`);
    const r = await runCli(['status', h.workflowId]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(
      `${h.workflowId}: RUNNING, progress unavailable (no worker answered on task queue ${taskQueue} within 5 s)`,
    );
  });
});
