import { defaultPayloadConverter } from '@temporalio/common';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FARM_CHAT_FAKE_ENV } from '../../scripts/lib/farmChat.js';
import type { DeploymentReport } from '../../src/shared/report.js';
import { createScenario, historyText, recordHistory, scheduledActivities, type Scenario } from '../helpers/scenario.js';
import { expectNoSecretsInHistoryOrLog } from '../helpers/productionState.js';
import { workerLogText } from '../helpers/workerLog.js';

/** v1 → v2 on a real Temporal server, PostgreSQL, git repo and npm: everything the runbook does, checked. */
let s: Scenario;
let report: DeploymentReport;
let handle: Awaited<ReturnType<Scenario['deploy']>>['handle'];
let usersBefore: unknown[];
let messagesBefore: unknown[];
/** A real webhook receiver: what a Slack-compatible endpoint would get. */
const received: { path: string; body: Record<string, unknown> }[] = [];
let receiver: Server;
const WEBHOOK_TOKEN = 'T0SECRET/B0HOOK/xoxb-9f8e7d6c5b4a';

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(body) });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  s = await createScenario('happy', {
    overrides: { notify: { webhookUrlEnv: 'DEPLOY_WEBHOOK_URL', webUiUrl: 'http://127.0.0.1:8233' } },
  });
  // The webhook URL is a secret: it lives in the app's env file, the config names it.
  appendFileSync(
    s.prod.envFile,
    `DEPLOY_WEBHOOK_URL=http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/${WEBHOOK_TOKEN}\n`,
  );
  usersBefore = await s.query('SELECT id, email, name, "passwordHash", "createdAt" FROM users ORDER BY id');
  messagesBefore = await s.query('SELECT id, "userId", body, "createdAt" FROM messages ORDER BY id');
  ({ handle, report } = await s.deploy(s.request('v2')));
  // deployed.json is the history from before write points (it replays the odometer's path).
  await recordHistory(handle, 'deployed-write-points');
}, 600_000);
afterAll(async () => {
  await s?.close();
  receiver?.close();
});

describe('deploying farm-chat v1 → v2', () => {
  it('ends deployed, with every step ok', () => {
    expect(report.error).toBeUndefined();
    expect(report.outcome).toBe('deployed');
    expect(report.release).toMatchObject({
      from: { commit: s.origin.tags.v1, name: 'v1' },
      to: { commit: s.origin.tags.v2, name: 'v2' },
    });
    expect(report.steps.every((x) => x.status === 'ok')).toBe(true);
    expect(report.migrations).toEqual({
      statusBefore: 'clean',
      pending: ['20260201000000_satshot_integration'],
      applied: ['20260201000000_satshot_integration'],
    });
  });

  it('ran each step as an activity, in the runbook order', async () => {
    expect(await scheduledActivities(handle)).toEqual([
      'loadConfig',
      'registeredSearchAttributes',
      'checkTools',
      'checkDatabase',
      'resolveRelease',
      'checkEnvironment',
      'checkDisk',
      'checkPrismaHazards',
      'inspectMigrationHistory',
      'detectSchemaDrift',
      'lintPendingMigrations',
      'stageRelease',
      'rehearseMigration',
      'notify',
      'stopWrites',
      'backupDatabase',
      'activateRelease',
      'installDependencies',
      'migrateDatabase',
      'restartApplication',
      'verifyDeployment',
      'resumeWrites',
      'removeStagedRelease',
      'removeKeptDependencies',
      'pruneBackups',
      'notify',
    ]);
  });

  it('read the write point in resume-writes itself: the snapshot while paused, no sleep for statistics', async () => {
    const events = (await handle.fetchHistory()).events ?? [];
    const resume = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'resumeWrites')!;
    const done = events.find(
      (e) =>
        e.activityTaskCompletedEventAttributes &&
        String(e.activityTaskCompletedEventAttributes.scheduledEventId) === String(resume.eventId),
    )!;
    const result = defaultPayloadConverter.fromPayload(
      done.activityTaskCompletedEventAttributes!.result!.payloads![0]!,
    ) as { resumed: boolean; point: { snapshot: string; rows: Record<string, number>; sleptMs: number } };
    expect(result.resumed).toBe(true);
    expect(result.point.sleptMs).toBe(0);
    expect(result.point.snapshot).toMatch(/^\d+:\d+:/);
    // The paused state: verification's smoke user and message included, nothing written since.
    const now = await s.query<{ users: number; messages: number }>(
      'SELECT (SELECT count(*) FROM users)::int AS users, (SELECT count(*) FROM messages)::int AS messages',
    );
    expect(result.point.rows).toMatchObject({ 'public.users': now[0]!.users, 'public.messages': now[0]!.messages });
    expect(report.writes).toMatchObject({
      policy: 'stop',
      stoppedAt: expect.any(String),
      resumedAt: expect.any(String),
    });
  });

  it('left a verified backup whose sha256 and row counts are in the report', () => {
    const backup = report.backup!;
    expect(backup.method).toBe('dump');
    expect(existsSync(backup.path!)).toBe(true);
    expect(createHash('sha256').update(readFileSync(backup.path!)).digest('hex')).toBe(backup.sha256);
    expect(backup.tables).toEqual(
      expect.arrayContaining([
        { name: 'public.users', rows: 20 },
        { name: 'public.messages', rows: 100 },
      ]),
    );
  });

  it('applied the schema: users.satshotConnected and satshot_tokens exist', async () => {
    expect(
      await s.query(
        `SELECT column_name FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'satshotConnected'`,
      ),
    ).toHaveLength(1);
    expect(await s.query(`SELECT to_regclass('satshot_tokens')::text AS t`)).toEqual([{ t: 'satshot_tokens' }]);
    const migrations = await s.query<{ migration_name: string; finished: boolean }>(
      'SELECT migration_name, finished_at IS NOT NULL AS finished FROM _prisma_migrations ORDER BY 1',
    );
    expect(migrations).toEqual([
      { migration_name: '20260101000000_init', finished: true },
      { migration_name: '20260201000000_satshot_integration', finished: true },
    ]);
  });

  it('kept every pre-existing row exactly', async () => {
    expect(
      await s.query(`SELECT id, email, name, "passwordHash", "createdAt" FROM users WHERE id <= $1 ORDER BY id`, [
        usersBefore.length,
      ]),
    ).toEqual(usersBefore);
    expect(
      await s.query(`SELECT id, "userId", body, "createdAt" FROM messages WHERE id <= $1 ORDER BY id`, [
        messagesBefore.length,
      ]),
    ).toEqual(messagesBefore);
  });

  it('put the working copy at v2, with xml2js installed', () => {
    expect(s.head()).toBe(s.origin.tags.v2);
    expect(existsSync(join(s.prod.appDir, 'node_modules', 'xml2js', 'package.json'))).toBe(true);
  });

  it('serves v2: health, login, chat and the Satshot integration answer over HTTP', async () => {
    const health = await (await fetch(`${s.prod.baseUrl}/health`)).json();
    expect(health).toMatchObject({ status: 'ok', version: '2.0.0' });
    const satshot = await (await fetch(`${s.prod.baseUrl}/integrations/satshot`)).json();
    expect(satshot).toMatchObject({
      integration: 'satshot',
      configured: true,
      server: FARM_CHAT_FAKE_ENV.SATSHOT_SERVER,
    });
    expect(report.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'health',
        'registration',
        'login',
        'chat-post',
        'chat-read',
        'john-deere',
        'auravant',
        'satshot',
        'table satshot_tokens',
        'column users.satshotConnected',
        'migrations up to date',
        'rows public.users',
      ]),
    );
    expect(report.checks.every((c) => c.ok)).toBe(true);
  });

  it('told the webhook it started and deployed, with a Slack text and a link to the Web UI', () => {
    expect(received.map((r) => r.body.event)).toEqual(['started', 'deployed']);
    expect(received.every((r) => r.path === `/hooks/${WEBHOOK_TOKEN}`)).toBe(true);
    expect(received[1]!.body).toMatchObject({
      app: 'farm-chat',
      environment: s.environment,
      ref: 'v2',
      outcome: 'deployed',
      workflowId: handle.workflowId,
    });
    expect(received[1]!.body.text).toContain('farm-chat');
    expect(received[1]!.body.webUiUrl).toBe(`http://127.0.0.1:8233/namespaces/default/workflows/${handle.workflowId}`);
    expect(report.notifications).toEqual([
      { event: 'started', sent: true, detail: 'HTTP 200' },
      { event: 'deployed', sent: true, detail: 'HTTP 200' },
    ]);
  });

  it('kept secrets out of the workflow history and the worker log', async () => {
    const text = await historyText(handle);
    expect(text).not.toContain(WEBHOOK_TOKEN);
    expect(workerLogText()).not.toContain(WEBHOOK_TOKEN);
    await expectNoSecretsInHistoryOrLog(s, handle);
    expect(text).toContain('DATABASE_URL'); // names are there…
    expect(text).not.toContain(s.dbPassword); // …values are not
    expect(text).not.toContain(FARM_CHAT_FAKE_ENV.SATSHOT_PASSWORD);
    expect(text).not.toContain(FARM_CHAT_FAKE_ENV.JOHN_DEERE_CLIENT_SECRET);
  });
});
