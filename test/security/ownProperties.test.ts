import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import { createConfigActivities } from '../../src/activities/config.js';
import { lookupEnv, parseEnvFile } from '../../src/activities/activityDeps.js';
import { fillTemplate } from '../../src/activities/http.js';
import { parseCalendar } from '../../src/cli/schedule/calendar.js';

/**
 * Issue 12, item 8: lookups keyed by user input read own entries only. `constructor`, `__proto__`
 * and `toString` are Object.prototype's: an environment of that name passed the config lookup and
 * crashed later with a TypeError; an env var of that name was "present".
 */

const env = {
  appDir: '/srv/farm-chat',
  database: { urlEnv: 'DATABASE_URL' },
  backup: { dir: '/var/backups' },
  commands: { restart: ['true'] },
  writes: { policy: 'detect' },
  baseUrl: 'http://127.0.0.1:3000',
};
const configPath = join(mkdtempSync(join(tmpdir(), 'sd-own-')), 'safe-deploy.config.json');
writeFileSync(
  configPath,
  JSON.stringify({ tools: { pgBinDir: '/usr/bin' }, apps: { 'farm-chat': { production: env } } }),
);

async function refusal(request: unknown): Promise<ApplicationFailure> {
  const { loadConfig } = createConfigActivities({ configPath, env: {} });
  const err = await new MockActivityEnvironment().run(loadConfig, request).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}

describe('loadConfig: an app or environment named like an Object.prototype member is unknown', () => {
  // `constructor` is a valid slug; the others are also refused by the slug rule (kept as guards).
  it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty'])(
    'environment %j: a non-retryable InvalidRequest, not a TypeError',
    async (environment) => {
      const f = await refusal({ app: 'farm-chat', environment, ref: 'v2' });
      expect(f.type).toBe('InvalidRequest');
      expect(f.nonRetryable).toBe(true);
      expect(f.message).toContain('request.environment');
    },
  );

  it('environment "constructor" (a valid slug) names the unknown environment and the configured ones', async () => {
    const f = await refusal({ app: 'farm-chat', environment: 'constructor', ref: 'v2' });
    expect(f.message).toContain(
      "request.environment: app 'farm-chat' has no environment 'constructor' (configured: production)",
    );
  });

  it('app "constructor" is an unknown app', async () => {
    const f = await refusal({ app: 'constructor', environment: 'production', ref: 'v2' });
    expect(f.type).toBe('InvalidRequest');
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain("request.app: no app 'constructor'");
  });
});

describe('env var lookups by NAME read own entries only', () => {
  const envFile = join(mkdtempSync(join(tmpdir(), 'sd-own-env-')), 'app.env');
  writeFileSync(envFile, 'DATABASE_URL=postgres://x\n__proto__=polluted\n');

  it('a variable named constructor/toString/__proto__ is missing unless really set', () => {
    for (const name of ['constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      expect(lookupEnv({ configPath: '/nonexistent', env: {} }, envFile, name)).toBeUndefined();
      expect(lookupEnv({ configPath: '/nonexistent', env: { PATH: '/bin' } }, undefined, name)).toBeUndefined();
    }
    expect(lookupEnv({ configPath: '/nonexistent', env: { toString: 'set' } }, undefined, 'toString')).toEqual({
      value: 'set',
      source: 'worker',
    });
  });

  it('an env file line __proto__=… is a variable, not a prototype', () => {
    const parsed = parseEnvFile('__proto__=polluted\nA=1\n');
    expect(Object.getPrototypeOf(parsed)).toBeNull();
    expect(Object.keys(parsed).sort()).toEqual(['A', '__proto__']);
    expect(lookupEnv({ configPath: '/nonexistent', env: {} }, envFile, '__proto__')).toEqual({
      value: 'polluted',
      source: 'env-file',
    });
  });
});

describe('templates and the CLI', () => {
  it('{{constructor}} in a check is not filled from Object.prototype', () => {
    expect(fillTemplate('/users/{{constructor}}/{{runId}}', { runId: 'r1' })).toBe('/users/{{constructor}}/r1');
  });

  it.each(['constructor 03:00', '__proto__ 03:00'])('schedule --at %j is a clear error, not a TypeError', (spec) => {
    expect(() => parseCalendar(spec)).toThrow(/^calendar ".*": unknown day/);
  });
});
