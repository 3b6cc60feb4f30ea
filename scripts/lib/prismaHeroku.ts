/**
 * The prisma-heroku sample application (examples/prisma-heroku: prisma-examples'
 * deployment-platforms/heroku, an Express + Prisma app we did not write) as tests use it: build
 * its git origin from the base tree and release overlays, install a "production" copy on a host
 * folder, run it under ops/web.sh, and seed it through its own REST API.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
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

export const PRISMA_HEROKU_DIR: string = findExampleDir('prisma-heroku');
export const WEB_SH_PATH: string = join(PRISMA_HEROKU_DIR, 'ops', 'web.sh');
/** The app's own "is it up" route (`{ up: true }`, no database access): it has no /health. */
export const PRISMA_HEROKU_UP_PATH = '/api';

export type PrismaHerokuOrigin = SampleOrigin;

/** v1 from base/ (upstream plus the offline wiring), then releases/<name>/, from 2026-02-02 09:00 UTC, a day apart. */
export function buildPrismaHerokuOrigin(dir: string): Promise<PrismaHerokuOrigin> {
  return buildSampleOrigin(PRISMA_HEROKU_DIR, dir, {
    name: 'Heroku Blog Maintainer',
    email: 'maintainer@prisma-heroku.example',
    firstCommitAt: 1770022800,
  });
}

export interface PrismaHerokuProduction {
  /** The production git clone (in place). */
  appDir: string;
  /** Where releases come from: the origin repository. */
  repository: string;
  runDir: string;
  envFile: string;
  port: number;
  baseUrl: string;
  databaseUrl: string;
}

/** `npm ci` then `npm run build` (prisma generate, offline) in the app's folder. */
export async function installPrismaHeroku(appDir: string): Promise<void> {
  await run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: appDir, env: { CHECKPOINT_DISABLE: '1' } });
  await run('npm', ['run', 'build'], { cwd: appDir, env: { CHECKPOINT_DISABLE: '1' } });
}

/** `npx prisma migrate deploy`, what the Procfile's release phase runs. */
export async function migratePrismaHeroku(appDir: string, databaseUrl: string): Promise<string> {
  const { stdout } = await run('npx', ['--no-install', 'prisma', 'migrate', 'deploy'], {
    cwd: appDir,
    env: prismaEnv(databaseUrl),
  });
  return stdout;
}

export type WebAction = 'start' | 'stop' | 'restart' | 'status';

/** ops/web.sh's argv for one action: what a worker config's `commands.restart` holds. */
export function webArgs(prod: PrismaHerokuProduction, action: WebAction): string[] {
  return [WEB_SH_PATH, action, prod.appDir, prod.runDir, prod.envFile];
}

/** Runs web.sh; `status` reports its LSB exit code (0 running, 3 stopped) instead of throwing. */
export async function runWeb(
  prod: PrismaHerokuProduction,
  action: WebAction,
): Promise<{ code: number; stdout: string }> {
  return runServiceScript(webArgs(prod, action), action);
}

export async function stopPrismaHeroku(prod: PrismaHerokuProduction): Promise<void> {
  await runWeb(prod, 'stop');
}

/** Polls GET /api until 200; on timeout the error includes the end of web.log. */
export function waitForPrismaHeroku(prod: PrismaHerokuProduction, timeoutMs = 30_000): Promise<void> {
  return waitForAppAnswer(
    'prisma-heroku',
    `${prod.baseUrl}${PRISMA_HEROKU_UP_PATH}`,
    join(prod.runDir, 'web.log'),
    timeoutMs,
  );
}

/**
 * A production install of v1 under `rootDir`: app/ (clone at v1, npm ci, built, migrated),
 * app.env (DATABASE_URL and PORT, mode 0600), run/ (web.pid, web.log). Left running and seeded.
 */
export async function createPrismaHerokuProduction(opts: {
  origin: PrismaHerokuOrigin;
  rootDir: string;
  databaseUrl: string;
  port: number;
}): Promise<PrismaHerokuProduction> {
  mkdirSync(opts.rootDir, { recursive: true });
  const prod: PrismaHerokuProduction = {
    appDir: join(opts.rootDir, 'app'),
    repository: opts.origin.dir,
    runDir: join(opts.rootDir, 'run'),
    envFile: join(opts.rootDir, 'app.env'),
    port: opts.port,
    baseUrl: `http://127.0.0.1:${opts.port}`,
    databaseUrl: opts.databaseUrl,
  };
  await git(['clone', '-q', opts.origin.dir, prod.appDir]);
  await checkoutRef(prod.appDir, 'v1');
  await installPrismaHeroku(prod.appDir);
  await migratePrismaHeroku(prod.appDir, prod.databaseUrl);
  writeEnvFile(
    prod.envFile,
    { DATABASE_URL: prod.databaseUrl, PORT: String(prod.port) },
    'prisma-heroku production environment (read by web.sh)',
  );

  await runWeb(prod, 'start');
  try {
    await waitForPrismaHeroku(prod);
    await seedPrismaHeroku(prod.baseUrl);
  } catch (err) {
    await stopPrismaHeroku(prod).catch(() => undefined); // leave no orphan app behind
    throw err;
  }
  return prod;
}

// ---------------------------------------------------------------------------------------------
// Seeding through the app's own routes (so the data is exactly what the app itself writes).

/**
 * Authors as people type their addresses: most with capitals (what a release that lower-cases
 * emails rewrites), two already lower-case. Distinct once lower-cased, so that such a release's
 * migration itself succeeds.
 */
export const PRISMA_HEROKU_SEED_AUTHORS: readonly { email: string; name: string }[] = [
  { email: 'Ada.Lovelace@Analytical-Engine.example', name: 'Ada Lovelace' },
  { email: 'GRACE.HOPPER@NAVY.example', name: 'Grace Hopper' },
  { email: 'alan.turing@bletchley.example', name: 'Alan Turing' },
  { email: 'Katherine.Johnson@NASA.example', name: 'Katherine Johnson' },
  { email: 'Edsger.Dijkstra@TUE.example', name: 'Edsger Dijkstra' },
  { email: 'Barbara.Liskov@MIT.example', name: 'Barbara Liskov' },
  { email: 'margaret.hamilton@apollo.example', name: 'Margaret Hamilton' },
  { email: 'Tim.Berners-Lee@CERN.example', name: 'Tim Berners-Lee' },
  { email: 'Radia.Perlman@Example.COM', name: 'Radia Perlman' },
  { email: 'DonaldKnuth@Stanford.example', name: 'Donald Knuth' },
];

const POST_TITLES = [
  'Notes from the lab',
  'What I got wrong last year',
  'A short history of a long bug',
  'Reading list',
];

async function api(baseUrl: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (res.status !== 200)
    throw new Error(`seeding prisma-heroku: ${method} ${path} answered ${res.status} ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

/**
 * The app's own `GET /api/seed` (Jane and her two published posts), then every seed author through
 * `POST /api/user` with two drafts each through `POST /api/post`, the first one published with
 * `PUT /api/publish/:id`. Returns how many users and posts exist afterwards.
 */
export async function seedPrismaHeroku(baseUrl: string): Promise<{ users: number; posts: number }> {
  await api(baseUrl, 'GET', '/api/seed');
  let users = 1;
  let posts = 2;
  for (const [i, author] of PRISMA_HEROKU_SEED_AUTHORS.entries()) {
    await api(baseUrl, 'POST', '/api/user', author);
    users++;
    for (let k = 0; k < 2; k++) {
      const post = await api(baseUrl, 'POST', '/api/post', {
        title: POST_TITLES[(i + k) % POST_TITLES.length],
        content: `by ${author.name}`,
        authorEmail: author.email,
      });
      posts++;
      if (k === 0) await api(baseUrl, 'PUT', `/api/publish/${post.id}`);
    }
  }
  return { users, posts };
}
