import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/ports.js';
import type { DeploymentReport } from '../../src/shared/report.js';
import {
  attemptsOf,
  captureProduction,
  containsValue,
  expectNoSecretsInHistoryOrLog,
  secretsOf,
} from '../helpers/productionState.js';
import { backupFiles, createScenario, type Scenario } from '../helpers/scenario.js';
import { deploymentResult } from '../../src/cli/deploymentResult.js';

/** Requests that must be refused or stopped before anything changes, on a real production copy. */
let s: Scenario;
let usersBefore: unknown[];

beforeAll(async () => {
  s = await createScenario('refusals');
  usersBefore = await s.query('SELECT * FROM users ORDER BY id');
}, 600_000);
afterAll(async () => s?.close());

/** Nothing changed: code at v1, no backup taken, data identical, v1 still serving. */
async function expectUntouched(o: { ignoreWork?: boolean } = {}) {
  expect(s.head()).toBe(s.origin.tags.v1);
  expect(backupFiles(s).filter((f) => !(o.ignoreWork && f === 'work'))).toEqual([]);
  expect(await s.query('SELECT * FROM users ORDER BY id')).toEqual(usersBefore);
  expect(await (await fetch(`${s.prod.baseUrl}/health`)).json()).toMatchObject({ version: '1.0.0' });
}

async function failure(request: unknown) {
  const handle = await s.start(request as never);
  const err = await handle.result().catch((e) => e);
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect(err.cause).toBeInstanceOf(ApplicationFailure);
  await expectNoSecretsInHistoryOrLog(s, handle);
  return err.cause as ApplicationFailure;
}

describe('refused before anything changes', () => {
  it('fails a request with bad fields, naming each, without retrying', async () => {
    const cause = await failure({ ...s.request('--upload-pack=x'), color: 'blue' });
    expect(cause.type).toBe('InvalidRequest');
    expect(cause.nonRetryable).toBe(true);
    expect(cause.message).toContain('request.ref');
    expect(cause.message).toContain('color');
    await expectUntouched();
  });

  it('fails a request for an app the worker does not know', async () => {
    const cause = await failure({ app: 'unknown-app', environment: 'production', ref: 'v2' });
    expect(cause.type).toBe('InvalidRequest');
    expect(cause.message).toContain("request.app: no app 'unknown-app'");
    await expectUntouched();
  });

  it('aborts a ref that does not exist', async () => {
    const { report, handle } = await s.deploy(s.request('v9'));
    expect(report.outcome).toBe('aborted');
    expect(report.error).toMatchObject({ step: 'resolve-release', type: 'ReleaseNotFound' });
    expect(report.error?.message).toContain("ref 'v9' does not exist");
    await expectUntouched();
    await expectNoSecretsInHistoryOrLog(s, handle);
  });

  it('aborts when the release needs an env var the app does not have, naming it', async () => {
    const original = readFileSync(s.prod.envFile, 'utf8');
    writeFileSync(
      s.prod.envFile,
      original
        .split('\n')
        .filter((l) => !l.startsWith('SATSHOT_PASSWORD='))
        .join('\n'),
    );
    try {
      const { report, handle } = await s.deploy(s.request('v2'));
      expect(report.outcome).toBe('aborted');
      expect(report.error).toMatchObject({ step: 'check-environment', type: 'EnvironmentIncomplete' });
      expect(report.error?.message).toContain('SATSHOT_PASSWORD');
      expect(report.error?.message).not.toContain('SATSHOT_USERNAME');
      await expectNoSecretsInHistoryOrLog(s, handle);
    } finally {
      writeFileSync(s.prod.envFile, original);
    }
    await expectUntouched();
  });

  it('runs the pre-checks and the rehearsal on a copy on a dry run, touching nothing', async () => {
    const { report, handle } = await s.deploy(s.request('v2', { dryRun: true }));
    expect(report.outcome).toBe('dry-run');
    expect(report.migrations?.pending).toEqual(['20260201000000_satshot_integration']);
    expect(report.steps.map((x) => x.name)).toEqual([
      'load-config',
      'check-tools',
      'check-database',
      'resolve-release',
      'check-environment',
      'check-disk',
      'check-prisma',
      'inspect-migrations',
      'check-drift',
      'lint-migrations',
      'stage-release',
      'rehearse',
      'remove-staging',
    ]);
    expect(report.rehearsal?.migrations.map((m) => m.name)).toEqual(['20260201000000_satshot_integration']);
    expect(report.lint).toEqual([
      expect.objectContaining({ name: '20260201000000_satshot_integration', severity: 'additive' }),
    ]);
    // The scratch space (staged copy, rehearsal dump) is gone again; no backup was taken.
    expect(readdirSync(join(s.backupDir, 'work'))).toEqual([]);
    expect(backupFiles(s).filter((f) => f !== 'work')).toEqual([]);
    await expectUntouched({ ignoreWork: true });
    await expectNoSecretsInHistoryOrLog(s, handle);
  }, 300_000); // staging runs npm ci and the rehearsal a migration: far more than the default 30 s on a loaded machine
});

// ---------------------------------------------------------------------------------------------
// The table: malformed requests and worker configs, each refused with an error that names the
// field, and production byte for byte unchanged (every table's content hash, schema, HEAD and
// `git status`, node_modules, the backup folder's files and hashes).

type Config = { apps: Record<string, Record<string, Record<string, unknown>>>; [k: string]: unknown };
interface BadInput {
  /** The request (default: a valid request for v2). */
  request?: unknown;
  /** Rewrites the scenario's config (given whole and its environment's entry): an object, or raw file text. */
  config?: (c: Config, env: Record<string, unknown>) => Config | string;
  /** Variables set in the worker's environment for this case. */
  workerEnv?: Record<string, string>;
  /**
   * Refused: the workflow fails at load-config, never retried. Aborted: a pre-check activity
   * (`activity`) fails after `attempts` tries and the workflow reports `aborted`; nothing changed.
   */
  expect:
    | { refused: 'InvalidRequest' | 'InvalidConfig' }
    | { aborted: string; step: string; activity: string; attempts: number };
  /** Text the message must contain: the field's path, the variable's name. */
  names: string[];
}

const field = (s: Scenario, path: string) => `apps.farm-chat.${s.environment}.${path}`;
/** A config case: change settings of the scenario's environment. */
const set = (f: (env: Record<string, unknown>) => void) => (c: Config, env: Record<string, unknown>) => {
  f(env);
  return c;
};

const BAD_INPUTS: [name: string, build: (s: Scenario) => BadInput][] = [
  // The request: missing, unknown and mistyped fields.
  [
    'request missing app',
    (s) => ({
      request: { environment: s.environment, ref: 'v2' },
      expect: { refused: 'InvalidRequest' },
      names: ['request.app'],
    }),
  ],
  [
    'request missing environment',
    (s) => ({
      request: { app: 'farm-chat', ref: 'v2' },
      expect: { refused: 'InvalidRequest' },
      names: ['request.environment'],
    }),
  ],
  [
    'request missing ref',
    (s) => ({
      request: { app: 'farm-chat', environment: s.environment },
      expect: { refused: 'InvalidRequest' },
      names: ['request.ref'],
    }),
  ],
  [
    'request with an unknown field',
    (s) => ({ request: { ...s.request('v2'), force: true }, expect: { refused: 'InvalidRequest' }, names: ['force'] }),
  ],
  [
    'request that is not an object',
    (s) => ({ request: 'deploy farm-chat v2', expect: { refused: 'InvalidRequest' }, names: ['request'] }),
  ],
  [
    'ref of the wrong type',
    (s) => ({ request: { ...s.request('v2'), ref: 2 }, expect: { refused: 'InvalidRequest' }, names: ['request.ref'] }),
  ],
  [
    'dryRun as a string',
    (s) => ({
      request: s.request('v2', { dryRun: 'yes' as never }),
      expect: { refused: 'InvalidRequest' },
      names: ['request.dryRun'],
    }),
  ],
  ['empty ref', (s) => ({ request: s.request(''), expect: { refused: 'InvalidRequest' }, names: ['request.ref'] })],
  [
    'ref with ; (shell)',
    (s) => ({
      request: s.request('v2;touch /tmp/pwned'),
      expect: { refused: 'InvalidRequest' },
      names: ['request.ref'],
    }),
  ],
  [
    'ref with $( ) (shell)',
    (s) => ({
      request: s.request('$(touch /tmp/pwned)'),
      expect: { refused: 'InvalidRequest' },
      names: ['request.ref'],
    }),
  ],
  [
    'ref with backticks',
    (s) => ({ request: s.request('`id`'), expect: { refused: 'InvalidRequest' }, names: ['request.ref'] }),
  ],
  [
    'ref with a space',
    (s) => ({ request: s.request('v2 v1'), expect: { refused: 'InvalidRequest' }, names: ['request.ref'] }),
  ],
  [
    'ref escaping with ..',
    (s) => ({
      request: s.request('v2/../../etc/passwd'),
      expect: { refused: 'InvalidRequest' },
      names: ['request.ref'],
    }),
  ],
  [
    'option-looking ref',
    (s) => ({
      request: s.request('--upload-pack=touch /tmp/pwned'),
      expect: { refused: 'InvalidRequest' },
      names: ['request.ref'],
    }),
  ],
  [
    'app in uppercase',
    (s) => ({
      request: { ...s.request('v2'), app: 'Farm-Chat' },
      expect: { refused: 'InvalidRequest' },
      names: ['request.app'],
    }),
  ],
  [
    'app with ../',
    (s) => ({
      request: { ...s.request('v2'), app: '../farm-chat' },
      expect: { refused: 'InvalidRequest' },
      names: ['request.app'],
    }),
  ],
  [
    'environment with ../',
    (s) => ({
      request: { app: 'farm-chat', environment: '../../etc', ref: 'v2' },
      expect: { refused: 'InvalidRequest' },
      names: ['request.environment'],
    }),
  ],
  [
    'environment in uppercase',
    (s) => ({
      request: { app: 'farm-chat', environment: 'PRODUCTION', ref: 'v2' },
      expect: { refused: 'InvalidRequest' },
      names: ['request.environment'],
    }),
  ],
  [
    'negative monitorMinutes',
    (s) => ({
      request: s.request('v2', { monitorMinutes: -5 }),
      expect: { refused: 'InvalidRequest' },
      names: ['request.monitorMinutes'],
    }),
  ],
  [
    'non-numeric monitorMinutes',
    (s) => ({
      request: s.request('v2', { monitorMinutes: 'ten' as never }),
      expect: { refused: 'InvalidRequest' },
      names: ['request.monitorMinutes'],
    }),
  ],
  [
    'deploy window at 25:00',
    (s) => ({
      request: s.request('v2', { window: { start: '25:00', end: '06:00' } }),
      expect: { refused: 'InvalidRequest' },
      names: ['request.window.start'],
    }),
  ],
  [
    'reason over 500 characters',
    (s) => ({
      request: s.request('v2', { reason: 'x'.repeat(501) }),
      expect: { refused: 'InvalidRequest' },
      names: ['request.reason'],
    }),
  ],
  [
    'unknown app',
    (s) => ({
      request: { ...s.request('v2'), app: 'hay-market' },
      expect: { refused: 'InvalidRequest' },
      names: ["request.app: no app 'hay-market'"],
    }),
  ],
  [
    'unknown environment',
    (s) => ({
      request: { app: 'farm-chat', environment: 'staging', ref: 'v2' },
      expect: { refused: 'InvalidRequest' },
      names: ["request.environment: app 'farm-chat' has no environment 'staging'"],
    }),
  ],

  // The worker config.
  [
    'config that is not JSON',
    (s) => ({ config: () => '{ "apps": ', expect: { refused: 'InvalidConfig' }, names: [s.configPath] }),
  ],
  [
    'config with an unknown top-level field',
    (s) => ({ config: (c) => ({ ...c, plugins: [] }), expect: { refused: 'InvalidConfig' }, names: ['plugins'] }),
  ],
  [
    'config with an unknown environment field',
    (s) => ({
      config: set((e) => {
        e.colour = 'green';
      }),
      expect: { refused: 'InvalidConfig' },
      names: [`apps.farm-chat.${s.environment}`, 'colour'],
    }),
  ],
  [
    'relative appDir',
    (s) => ({
      config: set((e) => {
        e.appDir = 'srv/farm-chat';
      }),
      expect: { refused: 'InvalidConfig' },
      names: [field(s, 'appDir')],
    }),
  ],
  [
    'appDir of the wrong type',
    (s) => ({
      config: set((e) => {
        e.appDir = 42;
      }),
      expect: { refused: 'InvalidConfig' },
      names: [field(s, 'appDir')],
    }),
  ],
  [
    'relative backup.dir',
    (s) => ({
      config: set((e) => {
        e.backup = { ...(e.backup as object), dir: '../backups' };
      }),
      expect: { refused: 'InvalidConfig' },
      names: [field(s, 'backup.dir')],
    }),
  ],
  [
    'unknown backup format',
    (s) => ({
      config: set((e) => {
        e.backup = { ...(e.backup as object), format: 'zip' };
      }),
      expect: { refused: 'InvalidConfig' },
      names: [field(s, 'backup.format')],
    }),
  ],
  [
    'negative health timeout',
    (s) => ({
      config: set((e) => {
        e.health = { path: '/health', timeout: -5 };
      }),
      expect: { refused: 'InvalidConfig' },
      names: [field(s, 'health.timeout')],
    }),
  ],
  [
    'non-numeric duration',
    (s) => ({
      config: set((e) => {
        e.commandTimeouts = { install: 'soon' };
      }),
      expect: { refused: 'InvalidConfig' },
      names: [field(s, 'commandTimeouts.install')],
    }),
  ],
  [
    'restart as a shell string',
    (s) => ({
      config: set((e) => {
        e.commands = { ...(e.commands as object), restart: 'systemctl restart farm-chat && rm -rf /' };
      }),
      expect: { refused: 'InvalidConfig' },
      names: [field(s, 'commands.restart')],
    }),
  ],
  [
    'install as an empty command',
    (s) => ({
      config: set((e) => {
        e.commands = { ...(e.commands as object), install: [] };
      }),
      expect: { refused: 'InvalidConfig' },
      names: [field(s, 'commands.install')],
    }),
  ],
  [
    'a secret value where a variable name belongs',
    (s) => ({
      config: set((e) => {
        e.database = { urlEnv: s.prod.databaseUrl };
      }),
      expect: { refused: 'InvalidConfig' },
      names: [field(s, 'database.urlEnv')],
    }),
  ],
  [
    'unknown writes policy',
    (s) => ({
      config: set((e) => {
        e.writes = { policy: 'pause' };
      }),
      expect: { refused: 'InvalidConfig' },
      names: [field(s, 'writes.policy')],
    }),
  ],
  [
    'writes policy stop without its commands',
    (s) => ({
      config: set((e) => {
        e.writes = { policy: 'stop' };
      }),
      expect: { refused: 'InvalidConfig' },
      names: [field(s, 'writes'), "policy 'stop' needs both"],
    }),
  ],
  [
    'baseUrl that is not a URL',
    (s) => ({
      config: set((e) => {
        e.baseUrl = 'localhost port 3000';
      }),
      expect: { refused: 'InvalidConfig' },
      names: [field(s, 'baseUrl')],
    }),
  ],
  [
    'check with an unknown HTTP method',
    (s) => ({
      config: set((e) => {
        e.checks = [{ name: 'ping', method: 'FETCH', path: '/health' }];
      }),
      expect: { refused: 'InvalidConfig' },
      names: [field(s, 'checks.0.method')],
    }),
  ],
  [
    'commandEnv with a bad variable name',
    (s) => ({
      config: set((e) => {
        e.commandEnv = { 'NODE OPTIONS': '--inspect' };
      }),
      expect: { refused: 'InvalidConfig' },
      names: [field(s, 'commandEnv')],
    }),
  ],
  [
    'app name with ../ in the config',
    (s) => ({
      config: (c) => ({ ...c, apps: { '../farm-chat': c.apps['farm-chat']! } }),
      expect: { refused: 'InvalidConfig' },
      names: ['apps.../farm-chat'],
    }),
  ],
  [
    'relative pgBinDir',
    (s) => ({
      config: (c) => ({ ...c, tools: { pgBinDir: 'usr/lib/postgresql/15/bin' } }),
      expect: { refused: 'InvalidConfig' },
      names: ['tools.pgBinDir'],
    }),
  ],

  // Valid on paper, stopped by a pre-check before anything changes.
  [
    'database URL variable not set',
    () => ({
      config: set((e) => {
        e.database = { urlEnv: 'FARM_CHAT_NO_SUCH_URL' };
      }),
      expect: { aborted: 'EnvironmentIncomplete', step: 'check-database', activity: 'checkDatabase', attempts: 1 },
      names: ['FARM_CHAT_NO_SUCH_URL'],
    }),
  ],
  // Nothing listens on the port: retryable, so tried 3 times (1 s, 2 s apart), then aborted naming the variable, never the URL.
  [
    'unreachable database URL',
    (s) => ({
      workerEnv: { FARM_CHAT_DOWN_URL: s.prod.databaseUrl.replace(/@[^/]+\//, `@127.0.0.1:${unusedPort}/`) },
      config: set((e) => {
        e.database = { urlEnv: 'FARM_CHAT_DOWN_URL' };
      }),
      expect: { aborted: 'DatabaseUnreachable', step: 'check-database', activity: 'checkDatabase', attempts: 3 },
      names: ['FARM_CHAT_DOWN_URL'],
    }),
  ],
  [
    'pg_dump missing from pgBinDir',
    () => ({
      config: (c) => ({ ...c, tools: { pgBinDir: '/nonexistent/postgresql/bin' } }),
      expect: { aborted: 'ToolMissing', step: 'check-tools', activity: 'checkTools', attempts: 1 },
      names: ['pg_dump'],
    }),
  ],
  [
    'git remote that does not exist',
    () => ({
      config: set((e) => {
        e.gitRemote = 'upstream';
      }),
      expect: { aborted: 'CommandFailed', step: 'resolve-release', activity: 'resolveRelease', attempts: 3 },
      names: ['upstream'],
    }),
  ],
];

let unusedPort: number;

describe('bad input changes nothing: a table of malformed requests and worker configs', () => {
  beforeAll(async () => {
    unusedPort = await freePort();
  });

  it('has at least 30 cases', () => {
    expect(BAD_INPUTS.length).toBeGreaterThanOrEqual(30);
  });

  it.each(BAD_INPUTS)(
    '%s',
    async (_name, build) => {
      const c = build(s);
      const before = await captureProduction(s);
      const original = readFileSync(s.configPath, 'utf8');
      const began = Date.now();
      let handle: WorkflowHandle;
      let result: { report: DeploymentReport } | { error: unknown };
      try {
        if (c.config) {
          const config = JSON.parse(original) as Config;
          const next = c.config(config, config.apps['farm-chat']![s.environment]!);
          writeFileSync(s.configPath, typeof next === 'string' ? next : JSON.stringify(next, null, 2));
        }
        Object.assign(process.env, c.workerEnv);
        handle = await s.start((c.request ?? s.request('v2')) as never);
        result = await deploymentResult(handle).then(
          (report) => ({ report }),
          (error: unknown) => ({ error }),
        );
      } finally {
        writeFileSync(s.configPath, original);
        for (const name of Object.keys(c.workerEnv ?? {})) delete process.env[name];
      }
      expect(Date.now() - began, 'ends within seconds').toBeLessThan(45_000);

      let message: string;
      if ('refused' in c.expect) {
        expect('error' in result && result.error).toBeInstanceOf(WorkflowFailedError);
        const cause = (result as { error: WorkflowFailedError }).error.cause as ApplicationFailure;
        expect(cause).toBeInstanceOf(ApplicationFailure);
        expect(cause.type).toBe(c.expect.refused);
        expect(cause.nonRetryable).toBe(true);
        expect(await attemptsOf(handle, 'loadConfig')).toEqual([1]);
        message = cause.message;
      } else {
        const report = (result as { report: DeploymentReport }).report;
        expect(report?.outcome).toBe('aborted');
        expect(report.error).toMatchObject({ type: c.expect.aborted, step: c.expect.step });
        expect(report.rollback).toBeUndefined();
        expect(await attemptsOf(handle, c.expect.activity)).toEqual([c.expect.attempts]);
        message = report.error!.message;
      }
      for (const name of c.names) expect(message).toContain(name);
      for (const value of [...Object.values(secretsOf(s)), ...Object.values(c.workerEnv ?? {})])
        expect(containsValue(message, value), 'a secret in the message').toBe(false);
      expect(await captureProduction(s)).toEqual(before);
      await expectNoSecretsInHistoryOrLog(s, handle);
    },
    60_000,
  );
});
