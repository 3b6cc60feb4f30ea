import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/common';
import { ScheduleNotFoundError } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CliError, EXIT, explainTemporalError, parseOptions, resolveConnection } from '../../src/cli/context.js';

const dir = mkdtempSync(join(tmpdir(), 'safe-deploy-envconfig-'));
const configFile = join(dir, 'temporal.toml');
writeFileSync(
  configFile,
  `
[profile.default]
address = "temporal.internal:7233"
namespace = "deploys"

[profile.cloud]
address = "deploys.a1b2c.tmprl.cloud:7233"
namespace = "deploys.a1b2c"
api_key = "not-a-real-key"
`,
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('connection settings the Temporal way, resolved without connecting', () => {
  it('reads the default profile of TEMPORAL_CONFIG_FILE', () => {
    const c = resolveConnection({}, { TEMPORAL_CONFIG_FILE: configFile });
    expect(c.connectionOptions.address).toBe('temporal.internal:7233');
    expect(c.namespace).toBe('deploys');
  });

  it('reads the profile named by --profile or TEMPORAL_PROFILE, with its API key (and TLS on for it)', () => {
    for (const c of [
      resolveConnection({ profile: 'cloud' }, { TEMPORAL_CONFIG_FILE: configFile }),
      resolveConnection({}, { TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_PROFILE: 'cloud' }),
    ]) {
      expect(c.connectionOptions.address).toBe('deploys.a1b2c.tmprl.cloud:7233');
      expect(c.namespace).toBe('deploys.a1b2c');
      expect(c.connectionOptions.apiKey).toBe('not-a-real-key');
      expect(c.connectionOptions.tls).toBeTruthy();
    }
  });

  it('lets TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and TEMPORAL_API_KEY override the file', () => {
    const c = resolveConnection(
      {},
      {
        TEMPORAL_CONFIG_FILE: configFile,
        TEMPORAL_ADDRESS: '10.0.0.5:7233',
        TEMPORAL_NAMESPACE: 'staging',
        TEMPORAL_API_KEY: 'other-key',
      },
    );
    expect(c.connectionOptions.address).toBe('10.0.0.5:7233');
    expect(c.namespace).toBe('staging');
    expect(c.connectionOptions.apiKey).toBe('other-key');
  });

  it('lets the flags override both', () => {
    const c = resolveConnection(
      { address: '127.0.0.1:7999', namespace: 'flagged' },
      { TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_ADDRESS: '10.0.0.5:7233', TEMPORAL_NAMESPACE: 'staging' },
    );
    expect(c.connectionOptions.address).toBe('127.0.0.1:7999');
    expect(c.namespace).toBe('flagged');
  });

  it('falls back to namespace "default" with no file and no variables', () => {
    const c = resolveConnection({}, { TEMPORAL_CONFIG_FILE: join(dir, 'absent.toml') });
    expect(c.namespace).toBe('default');
    expect(c.connectionOptions.apiKey).toBeUndefined();
  });

  it('turns TLS on with TEMPORAL_TLS', () => {
    expect(
      resolveConnection({}, { TEMPORAL_CONFIG_FILE: configFile, TEMPORAL_TLS: 'true' }).connectionOptions.tls,
    ).toBeTruthy();
    expect(resolveConnection({}, { TEMPORAL_CONFIG_FILE: configFile }).connectionOptions.tls).toBeFalsy();
  });
});

describe('errors for people', () => {
  it('names the flag of each bad option', () => {
    const schema = z.object({ reason: z.string().min(1, 'say why'), monitorMinutes: z.number().int() });
    expect(() => parseOptions(schema, { reason: '', monitorMinutes: 1.5 })).toThrow(
      /^--reason: say why; --monitor-minutes: /,
    );
    try {
      parseOptions(schema, { reason: '' });
    } catch (err) {
      expect(err).toBeInstanceOf(CliError);
      expect((err as CliError).exitCode).toBe(EXIT.refused);
    }
  });

  it('maps Temporal errors to one line and an exit code', () => {
    expect(
      explainTemporalError(new WorkflowNotFoundError('workflow not found for ID: x', 'deploy-x', undefined)),
    ).toMatchObject({ message: 'no deployment deploy-x in this namespace', exitCode: EXIT.notFound });
    expect(
      explainTemporalError(new WorkflowNotFoundError('workflow execution already completed', 'deploy-x', undefined)),
    ).toMatchObject({ message: 'deployment deploy-x has already ended', exitCode: EXIT.refused });
    expect(explainTemporalError(new ScheduleNotFoundError('not found', 'deploy-farm-chat-production'))).toMatchObject({
      exitCode: EXIT.notFound,
    });
    expect(explainTemporalError(new Error('boom'))).toBeUndefined();
  });
});
