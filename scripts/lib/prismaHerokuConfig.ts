import { writeFileSync } from 'node:fs';
import type { HttpCheck } from '../../src/config/schema.js';
import { PRISMA_HEROKU_UP_PATH, webArgs, type PrismaHerokuProduction } from './prismaHeroku.js';

/**
 * What a blog reader and writer do, through the app's own routes: read the feed, sign up, write a
 * draft, publish it. `{{runId}}` makes each verification's author new; `{{postId}}` is captured.
 */
export const PRISMA_HEROKU_CHECKS: HttpCheck[] = [
  { name: 'feed', method: 'GET', path: '/api/feed', expectStatus: 200 },
  {
    name: 'signup',
    method: 'POST',
    path: '/api/user',
    body: { email: 'smoke-{{runId}}@prisma-heroku.example', name: 'Smoke Test' },
    expectStatus: 200,
  },
  {
    name: 'draft',
    method: 'POST',
    path: '/api/post',
    body: {
      title: 'Deployment smoke test {{runId}}',
      content: 'written by a check',
      authorEmail: 'smoke-{{runId}}@prisma-heroku.example',
    },
    expectStatus: 200,
    capture: { postId: 'id' },
  },
  {
    name: 'publish',
    method: 'PUT',
    path: '/api/publish/{{postId}}',
    expectStatus: 200,
    expectJson: { published: true },
  },
];

export interface PrismaHerokuConfigOptions {
  backupDir: string;
  pgBinDir?: string;
  /** The environment's name in the config (default `production`). */
  environment?: string;
  /** Extra environment settings merged over the defaults. */
  overrides?: Record<string, unknown>;
}

/**
 * The worker config that deploys a prisma-heroku production copy, as its owner would write it: no
 * maintenance mode (writes policy `detect`), the app's own `/api` as health path, and the rehearsal
 * starting the previous release on the migrated copy, as the README's example config has it.
 */
export function prismaHerokuWorkerConfig(prod: PrismaHerokuProduction, o: PrismaHerokuConfigOptions) {
  return {
    ...(o.pgBinDir ? { tools: { pgBinDir: o.pgBinDir } } : {}),
    apps: {
      'prisma-heroku': {
        [o.environment ?? 'production']: {
          appDir: prod.appDir,
          // The worker reads the URL from the app's own env file, by name: no secret in the config.
          database: { urlEnv: 'DATABASE_URL' },
          envFile: prod.envFile,
          backup: { dir: o.backupDir },
          commands: { build: [['npm', 'run', 'build']], restart: webArgs(prod, 'restart') },
          // The app has no maintenance mode: it keeps serving, and writes since the backup are counted.
          writes: { policy: 'detect' },
          commandEnv: { CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
          baseUrl: prod.baseUrl,
          health: { path: PRISMA_HEROKU_UP_PATH, timeout: '10 seconds' },
          checks: PRISMA_HEROKU_CHECKS,
          requiredPackages: ['@prisma/client', 'express'],
          rehearsal: { startPrevious: { command: ['node', 'src/index.js'], portEnv: 'PORT' } },
          ...o.overrides,
        },
      },
    },
  };
}

export function writePrismaHerokuWorkerConfig(
  path: string,
  prod: PrismaHerokuProduction,
  o: PrismaHerokuConfigOptions,
): void {
  writeFileSync(path, JSON.stringify(prismaHerokuWorkerConfig(prod, o), null, 2) + '\n');
}
