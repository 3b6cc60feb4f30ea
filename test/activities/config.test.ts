import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { createConfigActivities, type LoadedConfig } from '../../src/activities/config.js';
import { COMMAND_ENV_ON_WORKER, commandEnvValues } from '../../src/activities/activityDeps.js';

const env = {
  appDir: '/srv/farm-chat',
  database: { urlEnv: 'DATABASE_URL' },
  backup: { dir: '/var/backups' },
  commands: { restart: ['systemctl', 'restart', 'farm-chat'] },
  writes: { policy: 'detect' },
  baseUrl: 'http://127.0.0.1:3000',
};

function configFile(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'config-test-')), 'safe-deploy.config.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

async function load(configPath: string, request: unknown) {
  const { loadConfig } = createConfigActivities({ configPath, env: {} });
  return new MockActivityEnvironment().run(loadConfig, request) as Promise<LoadedConfig>;
}

describe('loadConfig', () => {
  const good = configFile({
    tools: { pgBinDir: '/usr/lib/postgresql/15/bin' },
    apps: { 'farm-chat': { production: env } },
  });

  it('returns the validated request and the target, defaults filled, secrets absent', async () => {
    const { request, target } = await load(good, { app: 'farm-chat', environment: 'production', ref: 'v2' });
    expect(request).toEqual({ app: 'farm-chat', environment: 'production', ref: 'v2', dryRun: false });
    expect(target).toMatchObject({
      app: 'farm-chat',
      environment: 'production',
      appDir: '/srv/farm-chat',
      pgBinDir: '/usr/lib/postgresql/15/bin',
      database: { urlEnv: 'DATABASE_URL' },
    });
    expect(target.commands.install).toEqual(['npm', 'ci', '--no-audit', '--no-fund']);
  });

  it.each([
    [{ app: 'farm-chat', environment: 'production', ref: '-x' }, 'InvalidRequest', 'request.ref'],
    [
      { app: 'farm-chat', environment: 'staging', ref: 'v2' },
      'InvalidRequest',
      "request.environment: app 'farm-chat' has no environment 'staging' (configured: production)",
    ],
    [{ app: 'other', environment: 'production', ref: 'v2' }, 'InvalidRequest', "request.app: no app 'other'"],
    ['not an object', 'InvalidRequest', 'request'],
  ])('refuses %j without retrying, naming the field', async (request, type, text) => {
    const err = (await load(good, request).catch((e: ApplicationFailure) => e)) as ApplicationFailure;
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err.type).toBe(type);
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain(text);
    expect(err.message).toContain('Remedy:');
  });

  it('refuses a bad config file, naming the field and the file', async () => {
    const bad = configFile({ apps: { 'farm-chat': { production: { ...env, backup: { dir: 'relative/dir' } } } } });
    const err = (await load(bad, { app: 'farm-chat', environment: 'production', ref: 'v2' }).catch(
      (e: ApplicationFailure) => e,
    )) as ApplicationFailure;
    expect(err.type).toBe('InvalidConfig');
    expect(err.message).toContain(bad);
    expect(err.message).toContain('apps.farm-chat.production.backup.dir: an absolute path');
  });

  it('refuses an unreadable or non-JSON config', async () => {
    const err = (await load(configFile('{ not json'), { app: 'farm-chat', environment: 'production', ref: 'v2' }).catch(
      (e: ApplicationFailure) => e,
    )) as ApplicationFailure;
    expect(err.type).toBe('InvalidConfig');
    expect(err.nonRetryable).toBe(true);
  });

  it('returns commandEnv as names (the result is stored in history); commands read the values on the worker', async () => {
    const commandEnv: Record<string, string> = { NODE_OPTIONS: '--max-old-space-size=512', API_MODE: 'value-7f3e' };
    const config = { tools: { pgBinDir: '/usr/bin' }, apps: { 'farm-chat': { production: { ...env, commandEnv } } } };
    const path = configFile(config);
    const { target } = await load(path, { app: 'farm-chat', environment: 'production', ref: 'v2' });
    expect(target.commandEnv).toEqual({ NODE_OPTIONS: COMMAND_ENV_ON_WORKER, API_MODE: COMMAND_ENV_ON_WORKER });
    expect(JSON.stringify(target)).not.toContain('value-7f3e');
    const deps = { configPath: path, env: {} };
    expect(commandEnvValues(deps, target, 'restart')).toEqual({
      NODE_OPTIONS: '--max-old-space-size=512',
      API_MODE: 'value-7f3e',
    });
    // A target built by a caller with its values is used as given.
    expect(commandEnvValues(deps, { ...target, commandEnv: { A: 'given' } }, 'restart')).toEqual({ A: 'given' });
    // A name removed from the config since the deployment started: a clear non-retryable error.
    delete config.apps['farm-chat'].production.commandEnv.API_MODE;
    writeFileSync(path, JSON.stringify(config));
    let err: unknown;
    try {
      commandEnvValues(deps, target, 'restart');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe('InvalidConfig');
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect((err as ApplicationFailure).message).toContain(
      'apps.farm-chat.production.commandEnv: API_MODE no longer set',
    );
  });
});
