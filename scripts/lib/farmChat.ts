/**
 * The farm-chat sample application (examples/farm-chat) as tests and the demo use it: build its
 * git origin from the base tree and release overlays, install a "production" copy on a host
 * folder, run it under ops/appctl.mjs, and seed it through its HTTP API.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CommandFailed } from '../../src/exec/run.js';
import {
  buildSampleOrigin,
  checkoutRef,
  findExampleDir,
  git,
  prismaEnv,
  run,
  runServiceScript,
  waitForAppAnswer,
  writeEnvFile,
  type SampleOrigin,
} from './sampleApp.js';

export const FARM_CHAT_DIR: string = findExampleDir('farm-chat');
export const APPCTL_PATH: string = join(FARM_CHAT_DIR, 'ops', 'appctl.mjs');
export const FARM_CHAT_SEED_PASSWORD = 'harvest-moon-2026';
export const farmChatSeedEmail = (i: number): string => `farmer${i}@farm-chat.example`;

/** Fake but realistic-looking integration credentials for the production env file. */
export const FARM_CHAT_FAKE_ENV: Readonly<Record<string, string>> = {
  JOHN_DEERE_CLIENT_ID: '0oa9fj3k2lXQmZbT5d7',
  JOHN_DEERE_CLIENT_SECRET: 'jdS3cr3t-9vKp2Lq7Wn4Rz8Tb6Yc1Xm5',
  AURAVANT_TOKEN: 'avt_live_7c1e9b24d58f4a36b0e2c9d7f1a8e34b',
  SATSHOT_USERNAME: 'farmchat-integration',
  SATSHOT_PASSWORD: 'Sx7-pQ2rLm9vT4wz',
  SATSHOT_SERVER: 'https://mcp.satshot.example',
  SATSHOT_MCP_PORT: '8931',
};

// ---------------------------------------------------------------------------------------------
// The origin repository.

export type FarmChatOrigin = SampleOrigin;

/**
 * Builds the farm-chat origin (see buildSampleOrigin): v1 from base/, then each releases/<name>/
 * overlay, one commit and tag each, from 2026-01-05 12:00 UTC, a day apart.
 */
export function buildFarmChatOrigin(dir: string): Promise<FarmChatOrigin> {
  return buildSampleOrigin(FARM_CHAT_DIR, dir, {
    name: 'Farm Chat Dev',
    email: 'dev@farm-chat.example',
    firstCommitAt: 1767614400,
  });
}

// ---------------------------------------------------------------------------------------------
// A production copy.

export interface FarmChatProduction {
  /** The working copy (in place), or the `current` symlink (release directories). */
  appDir: string;
  layout: 'in-place' | 'releases';
  /** Where releases come from: the origin repository. */
  repository: string;
  runDir: string;
  envFile: string;
  port: number;
  baseUrl: string;
  databaseUrl: string;
}

/** `git checkout --detach <ref>` in an app clone (tags come with the clone). */
export const checkoutFarmChat: (appDir: string, ref: string) => Promise<void> = checkoutRef;

/** `npm ci` then `npm run build` (prisma generate, offline) in the app's folder. */
export async function installFarmChat(appDir: string): Promise<void> {
  await run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: appDir, env: { CHECKPOINT_DISABLE: '1' } });
  await run('npm', ['run', 'build'], { cwd: appDir, env: { CHECKPOINT_DISABLE: '1' } });
}

/** `npx prisma migrate deploy`; throws CommandFailed (stderr included) when a migration fails. */
export async function migrateFarmChat(appDir: string, databaseUrl: string): Promise<string> {
  const { stdout } = await run('npx', ['--no-install', 'prisma', 'migrate', 'deploy'], {
    cwd: appDir,
    env: prismaEnv(databaseUrl),
  });
  return stdout;
}

export type AppctlAction = 'start' | 'stop' | 'restart' | 'status' | 'maintenance-on' | 'maintenance-off';

export function appctlArgs(prod: FarmChatProduction, action: AppctlAction): string[] {
  return [
    process.execPath,
    APPCTL_PATH,
    action,
    '--app-dir',
    prod.appDir,
    '--run-dir',
    prod.runDir,
    '--environment-file',
    prod.envFile,
  ];
}

/** Runs appctl; `status` reports its LSB exit code (0 running, 3 stopped) instead of throwing. */
export async function runAppctl(
  prod: FarmChatProduction,
  action: AppctlAction,
): Promise<{ code: number; stdout: string }> {
  return runServiceScript(appctlArgs(prod, action), action);
}

export async function stopFarmChat(prod: FarmChatProduction): Promise<void> {
  await runAppctl(prod, 'stop');
}

/** Polls GET /health until 200; on timeout the error includes the end of the app log. */
export function waitForFarmChatHealth(prod: FarmChatProduction, timeoutMs = 30_000): Promise<void> {
  return waitForAppAnswer('farm-chat health', `${prod.baseUrl}/health`, join(prod.runDir, 'app.log'), timeoutMs);
}

/**
 * A production install of farm-chat v1 under `rootDir`: app/ (clone of the origin at v1, built
 * and migrated), app.env, run/ (pid + log). The app is left running and seeded.
 * `omitEnv` leaves variables out of app.env (e.g. to simulate a missing secret).
 */
export async function createFarmChatProduction(opts: {
  origin: FarmChatOrigin;
  rootDir: string;
  databaseUrl: string;
  port: number;
  env?: Record<string, string>;
  omitEnv?: string[];
  /** false: another instance already migrated and seeded the database (a second host). */
  seed?: { users: number; messagesPerUser: number } | false;
  layout?: 'in-place' | 'releases';
}): Promise<FarmChatProduction> {
  mkdirSync(opts.rootDir, { recursive: true });
  const layout = opts.layout ?? 'in-place';
  const prod: FarmChatProduction = {
    appDir: join(opts.rootDir, layout === 'releases' ? 'current' : 'app'),
    layout,
    repository: opts.origin.dir,
    runDir: join(opts.rootDir, 'run'),
    envFile: join(opts.rootDir, 'app.env'),
    port: opts.port,
    baseUrl: `http://127.0.0.1:${opts.port}`,
    databaseUrl: opts.databaseUrl,
  };
  if (prod.layout === 'releases') {
    // Capistrano-style, as safe-deploy lays it out: repo/ (a mirror), releases/<time>-<sha>/, current → a release.
    await git(['clone', '-q', '--mirror', opts.origin.dir, join(opts.rootDir, 'repo')]);
    const v1 = opts.origin.tags.v1!;
    const release = join(opts.rootDir, 'releases', `20260101000000-${v1.slice(0, 12)}`);
    mkdirSync(dirname(release), { recursive: true });
    await git(['clone', '-q', '--shared', '--no-checkout', join(opts.rootDir, 'repo'), release]);
    await checkoutFarmChat(release, 'v1');
    await installFarmChat(release);
    await migrateFarmChat(release, prod.databaseUrl);
    symlinkSync(release, prod.appDir);
  } else {
    await git(['clone', '-q', opts.origin.dir, prod.appDir]);
    await checkoutFarmChat(prod.appDir, 'v1');
    await installFarmChat(prod.appDir);
    if (opts.seed !== false) await migrateFarmChat(prod.appDir, prod.databaseUrl);
  }

  const env: Record<string, string> = {
    DATABASE_URL: prod.databaseUrl,
    PORT: String(prod.port),
    SESSION_SECRET: randomBytes(32).toString('hex'),
    // Lets a deployment's own checks through while writes are paused (maintenance mode).
    MAINTENANCE_BYPASS_TOKEN: randomBytes(18).toString('base64url'),
    ...FARM_CHAT_FAKE_ENV,
    ...opts.env,
  };
  for (const key of opts.omitEnv ?? []) delete env[key];
  // 0600: it holds the database password and integration secrets.
  writeEnvFile(prod.envFile, env, 'farm-chat production environment (read by appctl.mjs)');

  await runAppctl(prod, 'start');
  try {
    await waitForFarmChatHealth(prod);
    if (opts.seed !== false) await seedFarmChat(prod.baseUrl, opts.seed ?? { users: 20, messagesPerUser: 5 });
  } catch (err) {
    await stopFarmChat(prod).catch(() => undefined); // leave no orphan app behind
    throw err;
  }
  return prod;
}

// ---------------------------------------------------------------------------------------------
// Seeding through the public API (so the data is exactly what the app itself would write).

const FIRST_NAMES = [
  'Ana',
  'Ben',
  'Carla',
  'Diego',
  'Emma',
  'Felipe',
  'Grace',
  'Hugo',
  'Iris',
  'Jonas',
  'Lucía',
  'Mateo',
];
const LAST_NAMES = ['Miller', 'Souza', 'Schmidt', 'García', 'Olsen', 'Rossi', 'Nguyen', 'Keller', 'Duarte'];
const CHAT_LINES = [
  'Moisture at the north pivot is down to 18%.',
  'Sprayer 2 is back from the shop.',
  'NDVI looks patchy on field 7, can someone check it?',
  'Harvest starts Monday if the weather holds.',
  'Who has the key to grain bin 3?',
  'Soil samples from the east block went out today.',
  'Frost warning tonight, cover the seedlings.',
  'The planter monitor lost GPS again near the creek.',
];

async function api(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; json: any }> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, json: await res.json().catch(() => null) };
}

async function expectStatus(p: Promise<{ status: number; json: any }>, expected: number[], what: string): Promise<any> {
  const { status, json } = await p;
  if (!expected.includes(status))
    throw new Error(`seeding farm-chat: ${what} answered ${status} ${JSON.stringify(json)}`);
  return json;
}

/**
 * Registers `users` users (farmerN@farm-chat.example, password FARM_CHAT_SEED_PASSWORD), posts
 * `messagesPerUser` messages each, and connects every 3rd user to John Deere and every 4th to
 * Auravant. Users that already exist are logged in instead. Returns what was created.
 */
export async function seedFarmChat(
  baseUrl: string,
  opts: { users: number; messagesPerUser: number },
): Promise<{ users: number; messages: number }> {
  let users = 0;
  let messages = 0;
  const seedUser = async (i: number) => {
    const email = farmChatSeedEmail(i);
    const name = `${FIRST_NAMES[i % FIRST_NAMES.length]} ${LAST_NAMES[i % LAST_NAMES.length]}`;
    const reg = await api(baseUrl, 'POST', '/auth/register', { email, password: FARM_CHAT_SEED_PASSWORD, name });
    if (reg.status === 201) users++;
    else if (reg.status !== 409)
      throw new Error(`seeding farm-chat: register ${email} answered ${reg.status} ${JSON.stringify(reg.json)}`);
    const { token } = await expectStatus(
      api(baseUrl, 'POST', '/auth/login', { email, password: FARM_CHAT_SEED_PASSWORD }),
      [200],
      `login ${email}`,
    );
    for (let m = 0; m < opts.messagesPerUser; m++) {
      await expectStatus(
        api(baseUrl, 'POST', '/chat/messages', { body: CHAT_LINES[(i + m) % CHAT_LINES.length] }, token),
        [201],
        'post message',
      );
      messages++;
    }
    if (i % 3 === 0)
      await expectStatus(
        api(baseUrl, 'POST', '/integrations/john-deere/connect', {}, token),
        [200],
        'connect john-deere',
      );
    if (i % 4 === 0)
      await expectStatus(api(baseUrl, 'POST', '/integrations/auravant/connect', {}, token), [200], 'connect auravant');
  };
  // A few at a time: scrypt makes register/login ~50 ms each, but the app is a single process.
  const ids = Array.from({ length: opts.users }, (_, k) => k + 1);
  for (let k = 0; k < ids.length; k += 4) await Promise.all(ids.slice(k, k + 4).map(seedUser));
  return { users, messages };
}
