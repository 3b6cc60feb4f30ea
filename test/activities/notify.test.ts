import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createNotifyActivities, type NotifyInput, type NotifyResult } from '../../src/activities/notify.js';
import { environmentConfigSchema, type TargetConfig } from '../../src/config/schema.js';

/** A real webhook receiver on a free port; the path says how it answers. */
let server: Server;
let base: string;
let received: { method: string; path: string; contentType?: string; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ method: req.method!, path: req.url!, contentType: req.headers['content-type'], body });
      const status = /^\/status\/(\d{3})\//.exec(req.url!)?.[1];
      if (req.url!.startsWith('/slow/')) return; // never answers
      if (status) {
        res.statusCode = Number(status);
        if (status.startsWith('3')) res.setHeader('location', `${base}/elsewhere`);
        return res.end(status === '400' ? 'invalid_payload' : 'nope');
      }
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});
beforeEach(() => {
  received = [];
});

// A Slack-like URL whose path is the credential.
const TOKEN = 'XyZ-s3cret-t0ken-9f8e7d';
const hookUrl = (path = 'hooks') => `${base}/${path}/T0001/B0002/${TOKEN}`;

function target(notify?: unknown, envFile?: string): TargetConfig {
  const env = environmentConfigSchema.parse({
    appDir: '/srv/farm-chat',
    database: { urlEnv: 'DATABASE_URL' },
    backup: { dir: '/var/backups' },
    commands: { restart: ['systemctl', 'restart', 'farm-chat'] },
    writes: { policy: 'detect' },
    baseUrl: 'http://127.0.0.1:3000',
    ...(notify ? { notify } : {}),
    ...(envFile ? { envFile } : {}),
  });
  return { ...env, app: 'farm-chat', environment: 'production' };
}

const facts = {
  event: 'deployed' as const,
  deploymentId: 'dep-42',
  workflowId: 'deploy-farm-chat-production-v2-abc123',
  app: 'farm-chat',
  environment: 'production',
  ref: 'v2',
  outcome: 'deployed',
  summary: 'v1 → v2 in 3m12s, 2 migrations applied',
  webUiUrl: 'http://127.0.0.1:8233/namespaces/default/workflows/deploy-farm-chat-production-v2-abc123',
};

// Failed attempts log at WARN; the assertions below read the same messages.
const mockEnvironment = () => new MockActivityEnvironment(undefined, { logger: new DefaultLogger('ERROR') });

function notify(
  input: Partial<NotifyInput> & { target: TargetConfig },
  env: NodeJS.ProcessEnv,
  mock = mockEnvironment(),
): Promise<NotifyResult> {
  const { notify: send } = createNotifyActivities({ configPath: '/nonexistent', env });
  return mock.run(send, { ...facts, ...input });
}

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  const f = err as ApplicationFailure;
  expect(f.type).toBe('NotificationFailed');
  for (const text of [f.message, JSON.stringify(f.details ?? [])]) {
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('/T0001/B0002');
  }
  return f;
}

function envFileWith(content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'notify-test-')), 'app.env');
  writeFileSync(file, content);
  return file;
}

describe('notify', () => {
  it('POSTs JSON with a Slack text line and the deployment facts', async () => {
    const result = await notify(
      {
        target: target({ webhookUrlEnv: 'SLACK_WEBHOOK_URL' }),
        details: { commit: 'a1b2c3d', migrations: 2, restored: false },
      },
      { SLACK_WEBHOOK_URL: hookUrl() },
    );
    expect(result).toEqual({ sent: true, status: 200 });
    expect(received).toHaveLength(1);
    const [req] = received;
    expect(req).toMatchObject({ method: 'POST', path: `/hooks/T0001/B0002/${TOKEN}`, contentType: 'application/json' });
    expect(JSON.parse(req!.body)).toEqual({
      text: `:white_check_mark: farm-chat production v2: deployed. v1 → v2 in 3m12s, 2 migrations applied <${facts.webUiUrl}|Open in Temporal>`,
      event: 'deployed',
      app: 'farm-chat',
      environment: 'production',
      ref: 'v2',
      deploymentId: 'dep-42',
      workflowId: facts.workflowId,
      outcome: 'deployed',
      summary: facts.summary,
      webUiUrl: facts.webUiUrl,
      details: { commit: 'a1b2c3d', migrations: 2, restored: false },
    });
  });

  it.each([
    ['started', ':rocket: farm-chat production v2: deployment started.'],
    ['waiting-for-approval', ':hourglass_flowing_sand: farm-chat production v2: waiting for approval.'],
    ['rolled-back', ':leftwards_arrow_with_hook: farm-chat production v2: rolled back.'],
    ['rollback-failed', ':rotating_light: farm-chat production v2: ROLLBACK FAILED, manual steps needed.'],
  ] as const)('says what happened for %s', async (event, headline) => {
    await notify(
      {
        target: target({ webhookUrlEnv: 'HOOK' }),
        event,
        summary: 'details here',
        webUiUrl: undefined,
        outcome: undefined,
      },
      { HOOK: hookUrl() },
    );
    const body = JSON.parse(received[0]!.body) as Record<string, unknown>;
    expect(body.text).toBe(`${headline} details here`);
    expect(body.event).toBe(event);
    expect(body).not.toHaveProperty('outcome');
    expect(body).not.toHaveProperty('webUiUrl');
  });

  it("reads the URL by name: the app's env file first, then the worker's environment", async () => {
    const file = envFileWith(`HOOK=${hookUrl('from-file')}\n`);
    await notify({ target: target({ webhookUrlEnv: 'HOOK' }, file) }, { HOOK: hookUrl('from-worker') });
    await notify({ target: target({ webhookUrlEnv: 'HOOK' }, file + '.missing') }, { HOOK: hookUrl('from-worker') });
    expect(received.map((r) => r.path.split('/')[1])).toEqual(['from-file', 'from-worker']);
  });

  it('skips an environment without notify, and events it did not ask for', async () => {
    expect(await notify({ target: target() }, { HOOK: hookUrl() })).toEqual({ sent: false, skipped: 'not-configured' });
    const onlyFailures = target({ webhookUrlEnv: 'HOOK', events: ['rolled-back', 'rollback-failed'] });
    expect(await notify({ target: onlyFailures, event: 'deployed' }, { HOOK: hookUrl() })).toEqual({
      sent: false,
      skipped: 'event-filtered',
    });
    expect(await notify({ target: onlyFailures, event: 'rollback-failed' }, { HOOK: hookUrl() })).toEqual({
      sent: true,
      status: 200,
    });
    expect(received.map((r) => JSON.parse(r.body).event)).toEqual(['rollback-failed']);
  });

  it.each([
    [500, true],
    [503, true],
    [429, true],
    [408, true],
    [400, false],
    [403, false],
    [404, false],
    [302, false],
  ])('answered %i: throws NotificationFailed, retryable %s, without the URL', async (status, retryable) => {
    const f = await failureOf(
      notify(
        { target: target({ webhookUrlEnv: 'SLACK_WEBHOOK_URL' }) },
        { SLACK_WEBHOOK_URL: hookUrl(`status/${status}`) },
      ),
    );
    expect(f.nonRetryable).toBe(!retryable);
    expect(f.message).toContain(`was answered ${status}`);
    expect(f.message).toContain('SLACK_WEBHOOK_URL'); // the variable's name, never its value
    expect(f.message).toMatch(/^\[notify\] /);
    if (status === 400) expect(f.message).toContain('invalid_payload');
    expect(received.filter((r) => r.path.includes('elsewhere'))).toEqual([]); // a redirect is not followed
  });

  it('times out as a retryable failure', async () => {
    const started = Date.now();
    const f = await failureOf(
      notify({ target: target({ webhookUrlEnv: 'HOOK', timeout: '300 milliseconds' }) }, { HOOK: hookUrl('slow') }),
    );
    expect(f.nonRetryable).toBe(false);
    expect(f.message).toContain('no answer within 300 ms');
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('fails retryably when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const f = await failureOf(
      notify(
        { target: target({ webhookUrlEnv: 'HOOK' }) },
        { HOOK: `http://127.0.0.1:${port}/hooks/T0001/B0002/${TOKEN}` },
      ),
    );
    expect(f.nonRetryable).toBe(false);
    expect(f.message).toContain('ECONNREFUSED');
  });

  it('refuses without retrying when the variable is missing or holds no http(s) URL, never echoing it', async () => {
    const missing = await failureOf(notify({ target: target({ webhookUrlEnv: 'HOOK' }) }, {}));
    expect(missing.nonRetryable).toBe(true);
    expect(missing.message).toContain('HOOK is not set');
    const notUrl = await failureOf(
      notify({ target: target({ webhookUrlEnv: 'HOOK' }) }, { HOOK: `not a url ${TOKEN}` }),
    );
    expect(notUrl.nonRetryable).toBe(true);
    const ftp = await failureOf(
      notify({ target: target({ webhookUrlEnv: 'HOOK' }) }, { HOOK: `ftp://files.example.com/T0001/B0002/${TOKEN}` }),
    );
    expect(ftp.nonRetryable).toBe(true);
    expect(ftp.message).toContain('http(s) URL');
    expect(received).toEqual([]);
  });

  it('sends no secret: not the URL, not other variables, and scrubs credentials from details', async () => {
    const file = envFileWith('DATABASE_URL=postgres://app:db-pass-from-file@db/app\nHOOK=' + hookUrl() + '\n');
    const result = await notify(
      {
        target: target({ webhookUrlEnv: 'HOOK' }, file),
        details: { note: 'restored from postgres://app:leaked-pass@db:5432/app' },
      },
      { DATABASE_URL: 'postgres://app:db-pass-from-worker@db/app', API_TOKEN: 'worker-token-123' },
    );
    const body = received[0]!.body;
    for (const secret of [
      TOKEN,
      '/T0001/B0002',
      'db-pass-from-file',
      'db-pass-from-worker',
      'worker-token-123',
      'leaked-pass',
    ]) {
      expect(body).not.toContain(secret);
      expect(JSON.stringify(result)).not.toContain(secret);
    }
    expect(JSON.parse(body).details.note).toBe('restored from postgres://app:***@db:5432/app');
  });

  it('stops waiting when the activity is cancelled, and reports the cancellation', async () => {
    const mock = mockEnvironment();
    const pending = notify(
      { target: target({ webhookUrlEnv: 'HOOK', timeout: '30 seconds' }) },
      { HOOK: hookUrl('slow') },
      mock,
    );
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    mock.cancel();
    await expect(pending).rejects.toBeInstanceOf(CancelledFailure);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('notify config', () => {
  it('defaults to every event and a 10 second timeout, and takes only a variable NAME', () => {
    expect(target({ webhookUrlEnv: 'SLACK_WEBHOOK_URL' }).notify).toEqual({
      webhookUrlEnv: 'SLACK_WEBHOOK_URL',
      events: ['started', 'waiting-for-approval', 'deployed', 'rolled-back', 'rollback-failed'],
      timeout: '10 seconds',
    });
    for (const bad of [
      { webhookUrlEnv: 'https://hooks.slack.com/services/T/B/x' },
      { webhookUrlEnv: 'HOOK', events: ['deploying'] },
      { webhookUrlEnv: 'HOOK', url: 'x' },
      { webhookUrlEnv: 'HOOK', events: [] },
      { webhookUrlEnv: 'HOOK', timeout: 'soon' },
    ]) {
      expect(
        environmentConfigSchema.safeParse({
          appDir: '/srv/a',
          database: { urlEnv: 'DATABASE_URL' },
          backup: { dir: '/b' },
          commands: { restart: ['true'] },
          writes: { policy: 'detect' },
          baseUrl: 'http://127.0.0.1:1',
          notify: bad,
        }).success,
        JSON.stringify(bad),
      ).toBe(false);
    }
  });
});
