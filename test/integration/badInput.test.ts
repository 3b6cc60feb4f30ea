import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupFiles, createScenario, type Scenario } from '../helpers/scenario.js';

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
    const { report } = await s.deploy(s.request('v9'));
    expect(report.outcome).toBe('aborted');
    expect(report.error).toMatchObject({ step: 'resolve-release', type: 'ReleaseNotFound' });
    expect(report.error?.message).toContain("ref 'v9' does not exist");
    await expectUntouched();
  });

  it('aborts when the release needs an env var the app does not have, naming it', async () => {
    const original = readFileSync(s.prod.envFile, 'utf8');
    writeFileSync(s.prod.envFile, original.split('\n').filter((l) => !l.startsWith('SATSHOT_PASSWORD=')).join('\n'));
    try {
      const { report } = await s.deploy(s.request('v2'));
      expect(report.outcome).toBe('aborted');
      expect(report.error).toMatchObject({ step: 'check-environment', type: 'EnvironmentIncomplete' });
      expect(report.error?.message).toContain('SATSHOT_PASSWORD');
      expect(report.error?.message).not.toContain('SATSHOT_USERNAME');
    } finally {
      writeFileSync(s.prod.envFile, original);
    }
    await expectUntouched();
  });

  it('runs the pre-checks and the rehearsal on a copy on a dry run, touching nothing', async () => {
    const { report } = await s.deploy(s.request('v2', { dryRun: true }));
    expect(report.outcome).toBe('dry-run');
    expect(report.migrations?.pending).toEqual(['20260201000000_satshot_integration']);
    expect(report.steps.map((x) => x.name)).toEqual(['load-config', 'check-tools', 'check-database', 'resolve-release', 'check-environment', 'check-disk', 'check-prisma', 'inspect-migrations', 'check-drift', 'lint-migrations', 'stage-release', 'rehearse', 'remove-staging']);
    expect(report.rehearsal?.migrations.map((m) => m.name)).toEqual(['20260201000000_satshot_integration']);
    expect(report.lint).toEqual([expect.objectContaining({ name: '20260201000000_satshot_integration', severity: 'additive' })]);
    // The scratch space (staged copy, rehearsal dump) is gone again; no backup was taken.
    expect(readdirSync(join(s.backupDir, 'work'))).toEqual([]);
    expect(backupFiles(s).filter((f) => f !== 'work')).toEqual([]);
    await expectUntouched({ ignoreWork: true });
  });
});
