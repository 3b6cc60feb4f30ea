import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReleaseActivities } from '../../src/activities/release.js';
import type { ResolvedRelease } from '../../src/shared/releaseFacts.js';
import { environmentConfigSchema, type TargetConfig } from '../../src/config/schema.js';

/**
 * Issue 12, item 8: a mistyped `manifestFile` silently dropped the release's checks. The choice:
 * the default `.safe-deploy.json` may be absent (a release older than the manifest declares
 * nothing); a file named explicitly must exist in the target release; the current release (the
 * rollback target) may predate it. Proven on a real repository.
 */
let root: string;
const manifest = { checks: [{ name: 'satshot', path: '/integrations/satshot' }] };
const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-C', cwd, ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@t',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@t',
    },
  }).trim();
const commit = (dir: string, tag: string) => {
  git(dir, 'add', '.');
  git(dir, 'commit', '--quiet', '-m', tag);
  git(dir, 'tag', tag);
};

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'sd-manifest-'));
  const origin = join(root, 'origin');
  mkdirSync(join(origin, 'deploy'), { recursive: true });
  git(origin, 'init', '--quiet', '--initial-branch=main');
  writeFileSync(join(origin, 'README'), 'v1: no manifest at all\n');
  commit(origin, 'v1');
  writeFileSync(join(origin, '.safe-deploy.json'), JSON.stringify(manifest));
  writeFileSync(join(origin, 'deploy', 'manifest.json'), JSON.stringify(manifest));
  commit(origin, 'v2');
  writeFileSync(join(origin, '.safe-deploy.json'), '{ "checks": [ ');
  commit(origin, 'v3');
  execFileSync('git', ['clone', '--quiet', '--branch', 'v1', origin, join(root, 'app')], { stdio: 'ignore' });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function target(manifestFile?: string): TargetConfig {
  const env = environmentConfigSchema.parse({
    appDir: join(root, 'app'),
    database: { urlEnv: 'DATABASE_URL' },
    backup: { dir: join(root, 'backups') },
    commands: { restart: ['true'] },
    writes: { policy: 'detect' },
    baseUrl: 'http://127.0.0.1:3000',
    ...(manifestFile ? { manifestFile } : {}),
  });
  return { ...env, app: 'demo', environment: 'prod' };
}

async function resolve(t: TargetConfig, ref: string): Promise<ResolvedRelease | ApplicationFailure> {
  const { resolveRelease } = createReleaseActivities({ configPath: '/nonexistent', env: {} });
  return new MockActivityEnvironment().run(resolveRelease, { target: t, ref }).then(
    (r) => r as ResolvedRelease,
    (e: unknown) => e as ApplicationFailure,
  );
}

describe('manifestFile', () => {
  it('a mistyped manifestFile is a non-retryable InvalidConfig naming the field, not a release without checks', async () => {
    const err = await resolve(target('deploy/manifst.json'), 'v2');
    expect(err).toBeInstanceOf(ApplicationFailure);
    const f = err as ApplicationFailure;
    expect(f.type).toBe('InvalidConfig');
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain('apps.demo.prod.manifestFile: deploy/manifst.json does not exist in v2');
  });

  it('a manifestFile naming a folder is refused the same way', async () => {
    const f = (await resolve(target('deploy'), 'v2')) as ApplicationFailure;
    expect(f.type).toBe('InvalidConfig');
    expect(f.message).toContain('manifestFile: deploy is a folder in v2');
  });

  it('an explicit manifestFile is read from the target; the current release (v1) may predate it', async () => {
    const r = (await resolve(target('./deploy/manifest.json'), 'v2')) as ResolvedRelease;
    expect(r.target.name).toBe('v2');
    expect(r.target.manifest.checks.map((c) => c.path)).toEqual(['/integrations/satshot']);
    expect(r.current.manifest.checks).toEqual([]);
  });

  it('the default manifest may be absent: an older release declares nothing', async () => {
    const r = (await resolve(target(), 'v1')) as ResolvedRelease;
    expect(r.target.name).toBe('v1');
    expect(r.target.manifest).toEqual({
      requiredEnv: [],
      requiredPackages: [],
      expect: { tables: [], columns: [] },
      checks: [],
    });
    expect(((await resolve(target(), 'v2')) as ResolvedRelease).target.manifest.checks).toHaveLength(1);
  });

  it('a manifest that is not JSON is a non-retryable InvalidConfig, not a retried SyntaxError', async () => {
    const f = (await resolve(target(), 'v3')) as ApplicationFailure;
    expect(f).toBeInstanceOf(ApplicationFailure);
    expect(f.type).toBe('InvalidConfig');
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain('.safe-deploy.json at v3 is not JSON');
  });
});
