import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../src/activities/index.js';
import { EXIT, EXIT_CODES } from '../../src/cli/context.js';
import type { Outcome, Progress } from '../../src/shared/report.js';
import { CLI, eventually, runCli, type CliRun } from '../helpers/cli.js';

/**
 * The CLI with the real safeDeployment workflow on a real worker, whose activities all block
 * (heartbeating) until cancelled: a deployment that is running and not waiting for anyone.
 * `start` follows it, `status` reads its progress, `approve`/`reject` are refused, `cancel --wait`
 * ends it, and both commands exit with the code of how it ended.
 */

const activityNames = Object.keys(createActivities({ configPath: '/nonexistent', env: {} }));
const blockingActivities = Object.fromEntries(
  activityNames.map((name) => [
    name,
    async () => {
      for (;;) {
        Context.current().heartbeat();
        await Context.current().sleep(100);
      }
    },
  ]),
);

let nativeConnection: NativeConnection;
let connection: Connection;
let client: Client;
let worker: Worker;
let running: Promise<void>;
const taskQueue = `cli-follow-${randomUUID().slice(0, 8)}`;
const workflowId = `deploy-farm-chat-production-v2-${randomUUID().slice(0, 6)}`;
const ttyWorkflowId = `deploy-farm-chat-production-v2-${randomUUID().slice(0, 6)}`;

beforeAll(async () => {
  nativeConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
  connection = await Connection.connect({ address: inject('temporalAddress') });
  client = new Client({ connection });
  worker = await Worker.create({
    connection: nativeConnection,
    taskQueue,
    workflowBundle: { codePath: inject('workflowBundlePath') },
    activities: blockingActivities,
    maxHeartbeatThrottleInterval: '100 milliseconds',
  });
  running = worker.run();
});
afterAll(async () => {
  for (const id of [workflowId, ttyWorkflowId])
    await client?.workflow
      .getHandle(id)
      .terminate('test over')
      .catch(() => undefined);
  worker?.shutdown();
  await running?.catch(() => undefined);
  await nativeConnection?.close();
  await connection?.close();
});

describe('following a real deployment', () => {
  let start: Promise<CliRun>;
  let firstStep: string;

  it('start follows it with plain lines when stdout is not a terminal', async () => {
    let seen = '';
    start = runCli(
      [
        '--task-queue',
        taskQueue,
        'start',
        '--app',
        'farm-chat',
        '--env',
        'production',
        '--ref',
        'v2',
        '--workflow-id',
        workflowId,
      ],
      {
        onStdout: (text) => {
          seen = text;
        },
      },
    );
    await eventually('the first step line', async () => (/\n→ \S+: .+ …\n/.test(seen) ? true : undefined), 20_000);
    expect(seen).toContain(`started ${workflowId} on task queue ${taskQueue}\n`);
    firstStep = /\n→ (\S+): /.exec(seen)![1]!;
  });

  it('status shows the running step', async () => {
    const r = await runCli(['status', workflowId, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const { status, progress } = r.json<{ status: string; progress: Progress }>();
    expect(status).toBe('RUNNING');
    expect(progress.steps.at(-1)).toMatchObject({ name: firstStep, status: 'running' });
    const text = await runCli(['status', workflowId]);
    expect(text.stdout).toMatch(new RegExp(`^${workflowId}: running`));
    expect(text.stdout).toContain(`  → ${firstStep}: `);
  });

  it.each([['approve'], ['reject']])('%s is refused while it waits for nobody (exit 2)', async (command) => {
    const r = await runCli([command, workflowId, '--reason', 'test', '--by', 'ana']);
    expect(r.code).toBe(EXIT.refused);
    expect(r.stderr).toMatch(/^refused: /);
    expect((await client.workflow.getHandle(workflowId).describe()).status.name).toBe('RUNNING');
  });

  it('cancel --wait ends it; cancel and start both exit with the code of how it ended', async () => {
    const cancel = await runCli(['cancel', workflowId, '--wait', '--json']);
    const started = await start;
    const { outcome } = cancel.json<{ outcome: string }>();
    const expected = outcome in EXIT_CODES ? EXIT_CODES[outcome as Outcome] : EXIT.failed;
    expect(cancel.stderr).toBe('');
    expect(cancel.code).toBe(expected);
    expect(started.code, started.stderr).toBe(expected);
    expect(started.stdout.trim().split('\n').at(-1)).toBe(`deployment ${workflowId} outcome: ${outcome}`);
    expect((await client.workflow.getHandle(workflowId).describe()).status.name).not.toBe('RUNNING');
  });
});

describe('on a terminal', () => {
  it('start draws one live line with a spinner and the running time, and erases it at the end', async () => {
    // util-linux `script` gives the CLI a real pseudo-terminal; every token is a constant or a uuid.
    const command = [
      process.execPath,
      CLI,
      '--task-queue',
      taskQueue,
      'start',
      '--app',
      'farm-chat',
      '--env',
      'production',
      '--ref',
      'v2',
      '--workflow-id',
      ttyWorkflowId,
    ].join(' ');
    expect(command).toMatch(/^[\w./ -]+$/);
    const env: Record<string, string | undefined> = {
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      USER: 'tester',
      TERM: 'xterm',
      COLUMNS: '120',
    };
    delete env.CI;
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let screen = '';
    child.stdout.on('data', (d: Buffer) => {
      screen += d;
    });
    const exited = new Promise<number | null>((r) => child.once('close', r));
    const frame = /\r\x1b\[2K[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] → \S+: .+ … (\d+\.\d) s/g;
    // At least two redraws of the live line, with the time going up.
    const times = await eventually(
      'the live line to redraw',
      async () => {
        const seen = [...screen.matchAll(frame)].map((m) => Number(m[1]));
        return new Set(seen).size >= 2 ? seen : undefined;
      },
      20_000,
    );
    expect(times.at(-1)!).toBeGreaterThan(times[0]!);
    expect(screen).not.toMatch(/\n→ \S+: .+ …\r?\n/); // no plain "started" lines for running steps on a terminal
    const cancel = await runCli(['cancel', ttyWorkflowId]);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(await exited).not.toBeNull();
    expect(screen).toContain(`deployment ${ttyWorkflowId} outcome: `);
    // The last live line was erased before the lines that stay.
    const afterLastFrame = screen.slice(screen.lastIndexOf(' … ') + 3);
    expect(afterLastFrame).toMatch(/^\d+\.\d s\r\x1b\[2K[^⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏\r]/);
  });
});
