import { writeFileSync } from 'node:fs';
import type { HttpCheck } from '../../src/config/schema.js';
import { appctlArgs, type FarmChatProduction } from './farmChat.js';

/**
 * The runbook's click-through (register, log in, chat, integrations) as HTTP checks. `{{runId}}`
 * makes each verification's smoke user new; `{{token}}` is captured from the login.
 */
export const FARM_CHAT_CHECKS: HttpCheck[] = [
  {
    name: 'registration',
    method: 'POST',
    path: '/auth/register',
    body: { email: 'smoke-{{runId}}@farm-chat.example', password: 'smoke-{{runId}}-pass', name: 'Smoke Test' },
    expectStatus: 201,
  },
  {
    name: 'login',
    method: 'POST',
    path: '/auth/login',
    body: { email: 'smoke-{{runId}}@farm-chat.example', password: 'smoke-{{runId}}-pass' },
    expectStatus: 200,
    capture: { token: 'token' },
  },
  {
    name: 'chat-post',
    method: 'POST',
    path: '/chat/messages',
    bearer: '{{token}}',
    body: { body: 'deployment smoke test {{runId}}' },
    expectStatus: 201,
  },
  { name: 'chat-read', method: 'GET', path: '/chat/messages', bearer: '{{token}}', expectStatus: 200 },
  {
    name: 'john-deere',
    method: 'GET',
    path: '/integrations/john-deere',
    expectStatus: 200,
    expectJson: { configured: true },
  },
  {
    name: 'auravant',
    method: 'GET',
    path: '/integrations/auravant',
    expectStatus: 200,
    expectJson: { configured: true },
  },
];

/** The worker config that deploys a farm-chat production copy, as a user would write it. */
export interface FarmChatConfigOptions {
  backupDir: string;
  pgBinDir?: string;
  backupFormat?: 'custom' | 'directory';
  /** Backup settings merged over the format's (e.g. `{ method: 'snapshot' }`). */
  backup?: Record<string, unknown>;
  writes?: 'stop' | 'detect';
  /** The environment's name in the config (default `production`). */
  environment?: string;
  /** Extra environment settings (e.g. monitor, health timeouts) merged over the defaults. */
  overrides?: Record<string, unknown>;
}

export function farmChatWorkerConfig(prod: FarmChatProduction, o: FarmChatConfigOptions) {
  return {
    ...(o.pgBinDir ? { tools: { pgBinDir: o.pgBinDir } } : {}),
    apps: {
      'farm-chat': {
        [o.environment ?? 'production']: {
          appDir: prod.appDir,
          ...(prod.layout === 'releases'
            ? { codeLayout: 'releases', releases: { repository: prod.repository, keep: 3 } }
            : {}),
          // The worker reads the URL from the app's own env file, by name: no secret in the config.
          database: { urlEnv: 'DATABASE_URL' },
          envFile: prod.envFile,
          backup: {
            ...(o.backupFormat === 'directory'
              ? { dir: o.backupDir, format: 'directory', jobs: 2 }
              : { dir: o.backupDir, format: 'custom' }),
            ...o.backup,
          },
          commands: { build: [['npm', 'run', 'build']], restart: appctlArgs(prod, 'restart') },
          // Writes pause (maintenance mode) from before the backup until verification passed.
          writes:
            o.writes === 'detect'
              ? { policy: 'detect' }
              : {
                  policy: 'stop',
                  stop: appctlArgs(prod, 'maintenance-on'),
                  resume: appctlArgs(prod, 'maintenance-off'),
                  bypass: { header: 'x-maintenance-bypass', valueEnv: 'MAINTENANCE_BYPASS_TOKEN' },
                },
          commandEnv: { CHECKPOINT_DISABLE: '1', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
          baseUrl: prod.baseUrl,
          health: { path: '/health', timeout: '60 seconds' },
          checks: FARM_CHAT_CHECKS,
          ...o.overrides,
        },
      },
    },
  };
}

export function writeFarmChatWorkerConfig(path: string, prod: FarmChatProduction, o: FarmChatConfigOptions): void {
  writeFileSync(path, JSON.stringify(farmChatWorkerConfig(prod, o), null, 2) + '\n');
}
