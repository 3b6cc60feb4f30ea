// The farm-chat sample app end to end, with real git, npm, Prisma, PostgreSQL and processes:
// the fixture safe-deploy's own tests deploy must itself behave as documented.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildFarmChatOrigin,
  checkoutFarmChat,
  createFarmChatProduction,
  FARM_CHAT_SEED_PASSWORD,
  farmChatSeedEmail,
  installFarmChat,
  migrateFarmChat,
  runAppctl,
  stopFarmChat,
  waitForFarmChatHealth,
  type FarmChatOrigin,
  type FarmChatProduction,
} from '../../scripts/lib/farmChat.js';
import { startPgCluster, type PgCluster } from '../../scripts/lib/pgCluster.js';
import { CommandFailed } from '../../src/exec/run.js';
import { freePort } from '../../scripts/lib/ports.js';

const SLOW = { timeout: 180_000 };

let cluster: PgCluster;
let tmp: string;
let origin: FarmChatOrigin;
let prod: FarmChatProduction;
const started: FarmChatProduction[] = [];

async function call(method: string, path: string, body?: unknown, token?: string) {
  const res = await fetch(`${prod.baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as any };
}

async function tableNames(database: string): Promise<string[]> {
  const { rows } = await cluster.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
    [],
    database,
  );
  return rows.map((r) => r.table_name);
}

async function userColumns(database: string): Promise<string[]> {
  const { rows } = await cluster.query<{ column_name: string }>(
    "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'users'",
    [],
    database,
  );
  return rows.map((r) => r.column_name);
}

beforeAll(async () => {
  cluster = await startPgCluster();
  tmp = mkdtempSync(join(tmpdir(), 'farm-chat-test-'));
  origin = await buildFarmChatOrigin(join(tmp, 'origin.git'));
  const databaseUrl = await cluster.createAppDatabase('farmchat', 'farmchat', 'farmchat-pw');
  prod = await createFarmChatProduction({ origin, rootDir: join(tmp, 'prod'), databaseUrl, port: await freePort() });
  started.push(prod);
}, 300_000);

afterAll(async () => {
  for (const p of started) await stopFarmChat(p).catch(() => undefined);
  await cluster?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}, 60_000);

describe('farm-chat sample app', () => {
  it('builds an origin with one tag per release, deterministically', SLOW, async () => {
    expect(Object.keys(origin.tags).sort()).toEqual([
      'v1',
      'v1-edited-init',
      'v2',
      'v2-broken-check',
      'v2-broken-health',
      'v2-broken-install',
      'v2-broken-migration',
      'v2-broken-start',
      'v2-data-loss',
      'v2-missing-expectation',
      'v3-drop-satshot-tokens',
    ]);
    const again = await buildFarmChatOrigin(join(tmp, 'origin-again.git'));
    expect(again.tags).toEqual(origin.tags);
  });

  it('pauses writes in maintenance mode, letting only the bypass token through, across a restart', SLOW, async () => {
    const token = readFileSync(prod.envFile, 'utf8').match(/^MAINTENANCE_BYPASS_TOKEN=(.+)$/m)![1]!;
    const register = (email: string, headers: Record<string, string> = {}) =>
      fetch(`${prod.baseUrl}/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ email, password: 'maintenance-pass', name: 'M' }),
      });
    await runAppctl(prod, 'maintenance-on');
    try {
      await runAppctl(prod, 'restart');
      await waitForFarmChatHealth(prod);
      expect(await (await fetch(`${prod.baseUrl}/health`)).json()).toMatchObject({ status: 'ok', maintenance: true });
      const refused = await register('paused@farm.example');
      expect(refused.status).toBe(503);
      expect(((await refused.json()) as { error: string }).error).toContain('maintenance');
      expect((await register('paused@farm.example', { 'x-maintenance-bypass': 'wrong-token' })).status).toBe(503);
      expect((await register('bypass@farm.example', { 'x-maintenance-bypass': token })).status).toBe(201);
      expect((await call('GET', '/integrations/john-deere')).status).toBe(200);
    } finally {
      await runAppctl(prod, 'maintenance-off');
    }
    expect((await register('resumed@farm.example')).status).toBe(201);
    const { rows } = await cluster.query<{ email: string }>(
      `SELECT email FROM users WHERE email IN ('paused@farm.example', 'bypass@farm.example', 'resumed@farm.example') ORDER BY 1`,
      [],
      'farmchat',
    );
    expect(rows.map((r) => r.email)).toEqual(['bypass@farm.example', 'resumed@farm.example']);
    await cluster.query(
      `DELETE FROM users WHERE email IN ('bypass@farm.example', 'resumed@farm.example')`,
      [],
      'farmchat',
    );
  });

  it('serves v1: health, auth, chat and both integrations, with seeded data in PostgreSQL', SLOW, async () => {
    expect(await call('GET', '/health')).toEqual({
      status: 200,
      json: { status: 'ok', version: '1.0.0', database: 'ok', maintenance: false, errors: 0 },
    });
    expect((await runAppctl(prod, 'status')).code).toBe(0);

    const reg = await call('POST', '/auth/register', {
      email: 'tess@farm.example',
      password: 'combine-harvester',
      name: 'Tess',
    });
    expect(reg).toMatchObject({ status: 201, json: { email: 'tess@farm.example', name: 'Tess' } });
    expect(
      (await call('POST', '/auth/register', { email: 'tess@farm.example', password: 'combine-harvester', name: 'T' }))
        .status,
    ).toBe(409);
    expect((await call('POST', '/auth/register', { email: 'nope', password: 'x', name: '' })).status).toBe(400);
    expect((await call('POST', '/auth/login', { email: 'tess@farm.example', password: 'wrong-password' })).status).toBe(
      401,
    );

    const login = await call('POST', '/auth/login', { email: 'tess@farm.example', password: 'combine-harvester' });
    expect(login.status).toBe(200);
    expect(login.json.user).toEqual(reg.json);
    const token = login.json.token as string;

    expect((await call('GET', '/chat/messages')).status).toBe(401);
    expect((await call('GET', '/chat/messages', undefined, 'Bearer-nonsense')).status).toBe(401);
    expect(await call('POST', '/chat/messages', { body: 'Combine is fuelled up' }, token)).toMatchObject({
      status: 201,
      json: { body: 'Combine is fuelled up' },
    });
    const list = await call('GET', '/chat/messages', undefined, token);
    expect(list.status).toBe(200);
    expect(list.json.messages).toHaveLength(50);
    expect(list.json.messages[0]).toMatchObject({ body: 'Combine is fuelled up', author: 'Tess' });

    const jd = await call('GET', '/integrations/john-deere');
    expect(jd.json).toMatchObject({ integration: 'john-deere', configured: true });
    expect((await call('POST', '/integrations/john-deere/connect', {}, token)).status).toBe(200);
    expect((await call('GET', '/integrations/john-deere')).json.connectedUsers).toBe(jd.json.connectedUsers + 1);
    expect(await call('GET', '/integrations/auravant')).toEqual({
      status: 200,
      json: { integration: 'auravant', configured: true, connectedUsers: 5 },
    });
    expect((await call('POST', '/integrations/auravant/connect', {}, token)).status).toBe(200);
    expect((await call('GET', '/integrations/satshot')).status).toBe(404);
    expect((await call('GET', '/no/such/route')).status).toBe(404);

    // Seed: 20 users × 5 messages; users 3, 6, …, 18 on John Deere.
    const seeded = await cluster.query<{ users: number; messages: number; jd: number }>(
      `SELECT (SELECT count(*)::int FROM users WHERE email LIKE '%@farm-chat.example') AS users,
              (SELECT count(*)::int FROM messages m JOIN users u ON u.id = m."userId" WHERE u.email LIKE '%@farm-chat.example') AS messages,
              (SELECT count(*)::int FROM users WHERE email LIKE '%@farm-chat.example' AND "johnDeereConnected") AS jd`,
      [],
      'farmchat',
    );
    expect(seeded.rows[0]).toEqual({ users: 20, messages: 100, jd: 6 });
    const hash = await cluster.query<{ passwordHash: string }>(
      'SELECT "passwordHash" FROM users WHERE email = $1',
      [farmChatSeedEmail(1)],
      'farmchat',
    );
    expect(hash.rows[0]!.passwordHash).toMatch(/^scrypt\$[0-9a-f]{32}\$[0-9a-f]{128}$/);
    expect(hash.rows[0]!.passwordHash).not.toContain(FARM_CHAT_SEED_PASSWORD);
  });

  it('deploys v2 by hand: new migration, xml2js installed, satshot integration live', SLOW, async () => {
    const t0 = Date.now();
    await checkoutFarmChat(prod.appDir, 'v2');
    await installFarmChat(prod.appDir);
    await migrateFarmChat(prod.appDir, prod.databaseUrl);
    await runAppctl(prod, 'restart');
    await waitForFarmChatHealth(prod);
    console.log(`v2 deployed by hand in ${Date.now() - t0} ms`);

    expect(await call('GET', '/health')).toEqual({
      status: 200,
      json: { status: 'ok', version: '2.0.0', database: 'ok', maintenance: false, errors: 0 },
    });
    expect(existsSync(join(prod.appDir, 'node_modules', 'xml2js', 'package.json'))).toBe(true);
    expect(await tableNames('farmchat')).toContain('satshot_tokens');
    expect(await userColumns('farmchat')).toContain('satshotConnected');

    const token = (
      await call('POST', '/auth/login', { email: farmChatSeedEmail(2), password: FARM_CHAT_SEED_PASSWORD })
    ).json.token;
    expect((await call('POST', '/integrations/satshot/connect', {}, token)).status).toBe(200);
    const satshot = await call('GET', '/integrations/satshot');
    expect(satshot).toEqual({
      status: 200,
      json: {
        integration: 'satshot',
        configured: true,
        server: 'https://mcp.satshot.example',
        mcpPort: 8931,
        connectedUsers: 1,
        tokens: 1,
        capabilities: ['field-boundaries', 'ndvi-imagery', 'zone-maps', 'prescription-export'],
      },
    });
    expect(JSON.stringify(satshot.json)).not.toContain('Sx7-pQ2rLm9vT4wz'); // SATSHOT_PASSWORD
    // v1 data survived the migration.
    expect(
      (await call('POST', '/auth/login', { email: farmChatSeedEmail(20), password: FARM_CHAT_SEED_PASSWORD })).status,
    ).toBe(200);
  });

  it('v2-broken-migration fails half-way and leaves the partial schema behind', SLOW, async () => {
    const databaseUrl = await cluster.createAppDatabase('farmchat_broken', 'farmchat', 'farmchat-pw');
    const broken = await createFarmChatProduction({
      origin,
      rootDir: join(tmp, 'prod-broken'),
      databaseUrl,
      port: await freePort(),
      seed: { users: 3, messagesPerUser: 1 },
    });
    started.push(broken);

    await checkoutFarmChat(broken.appDir, 'v2-broken-migration');
    await installFarmChat(broken.appDir);
    const failure = await migrateFarmChat(broken.appDir, databaseUrl).then(
      () => null,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(CommandFailed);
    expect((failure as CommandFailed).exitCode).not.toBe(0);
    expect((failure as CommandFailed).message).toContain('migrate deploy');
    expect((failure as CommandFailed).stderr).toMatch(/User/);

    expect(await tableNames('farmchat_broken')).toContain('satshot_tokens');
    expect(await userColumns('farmchat_broken')).toContain('satshotConnected');
    const { rows } = await cluster.query<{ migration_name: string; finished_at: Date | null }>(
      'SELECT migration_name, finished_at FROM _prisma_migrations ORDER BY migration_name',
      [],
      'farmchat_broken',
    );
    expect(rows.map((r) => [r.migration_name, r.finished_at === null])).toEqual([
      ['20260101000000_init', false],
      ['20260201000000_satshot_integration', true],
    ]);
    // The v1 process was never restarted, so it still serves.
    expect(await (await fetch(`${broken.baseUrl}/health`)).json()).toMatchObject({ status: 'ok', version: '1.0.0' });

    await stopFarmChat(broken);
    expect((await runAppctl(broken, 'status')).code).toBe(3);
    await stopFarmChat(broken); // idempotent
  });
});
