import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReleaseActivities } from '../../src/activities/release.js';
import type { TargetConfig } from '../../src/config/schema.js';
import { run } from '../../src/exec/run.js';

/**
 * A worker killed in the middle of `git checkout` (or a host going down then) leaves the working
 * copy half-way: HEAD and the index at the old release, some files already at the new one, new
 * files untracked. The retry's plain checkout refused ("local changes would be overwritten"), and
 * the rollback's checkout of the previous release found HEAD already there and left the new
 * release's files in place: code neither v1 nor v2, a rollback that cannot be verified. Now a
 * working copy whose every change is one of the releases' version of that file is finished with
 * --force; a change that is no release's (someone's edit) stops the step and is left untouched.
 */
let repo: string;
const commits: Record<string, string> = {};
const git = async (...args: string[]) =>
  (
    await run({ file: 'git', args, cwd: repo, env: { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' } })
  ).stdout.trim();
const activities = createReleaseActivities({ configPath: '/nonexistent', env: {} });
const target = () =>
  ({
    app: 'demo',
    environment: 'test',
    appDir: repo,
    codeLayout: 'in-place',
    commandTimeouts: { git: '1 minute' },
  }) as unknown as TargetConfig;
const write = (path: string, text: string) => {
  mkdirSync(join(repo, path, '..'), { recursive: true });
  writeFileSync(join(repo, path), text);
};
const status = () => git('status', '--porcelain', '--untracked-files=all');

beforeAll(async () => {
  repo = mkdtempSync(join(tmpdir(), 'safe-deploy-cut-short-'));
  await git('init', '-q', '-b', 'main');
  const commit = async (name: string) => {
    await git('add', '-A');
    await git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', name);
    commits[name] = await git('rev-parse', 'HEAD');
  };
  write('src/app.js', 'v1 app\n');
  write('src/gone.js', 'only in v1\n');
  write('README.md', 'same in both\n');
  await commit('v1');
  write('src/app.js', 'v2 app\n');
  unlinkSync(join(repo, 'src/gone.js'));
  write('src/satshot.js', 'new in v2\n');
  write('-n', 'a file named like an option\n');
  await commit('v2');
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

/** The working copy as a checkout of v1 → v2 leaves it when cut short: HEAD v1, some files of v2. */
async function cutShortAtV1() {
  await git('checkout', '-q', '--force', '--detach', commits.v1!);
  await git('clean', '-q', '-f', '-d');
  write('src/app.js', 'v2 app\n'); // already updated
  write('src/satshot.js', 'new in v2\n'); // already created
  write('-n', 'a file named like an option\n');
  // src/gone.js not yet removed
}

describe('activateRelease in place, after a checkout cut short', () => {
  it('the retry finishes the checkout to v2: HEAD v2, clean', async () => {
    await cutShortAtV1();
    expect(await status()).not.toBe('');
    const r = await activities.activateRelease({ target: target(), commit: commits.v2! });
    expect(r).toEqual({ commit: commits.v2, previous: commits.v1, changed: true });
    expect(await git('rev-parse', 'HEAD')).toBe(commits.v2);
    expect(await status()).toBe('');
  });

  it("the rollback's checkout of v1 (HEAD already v1) removes v2's files: clean at v1", async () => {
    await cutShortAtV1();
    const r = await activities.activateRelease({ target: target(), commit: commits.v1!, undoing: commits.v2! });
    expect(r.changed).toBe(true);
    expect(await git('rev-parse', 'HEAD')).toBe(commits.v1);
    expect(await status()).toBe('');
    expect(readFileSync(join(repo, 'src/app.js'), 'utf8')).toBe('v1 app\n');
  });

  it("a change that is no release's version stops the step, non-retryable, and nothing is touched", async () => {
    await cutShortAtV1();
    write('src/app.js', 'an edit made on the server\n');
    const err = await activities.activateRelease({ target: target(), commit: commits.v2! }).then(
      () => undefined,
      (e: ApplicationFailure) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'WorkingCopyDirty', nonRetryable: true });
    expect(err!.message).toContain('src/app.js');
    expect(err!.message).not.toContain('satshot.js');
    expect(readFileSync(join(repo, 'src/app.js'), 'utf8')).toBe('an edit made on the server\n');
    expect(await git('rev-parse', 'HEAD')).toBe(commits.v1);
  });

  it('a clean copy already at the commit: nothing to do', async () => {
    await git('checkout', '-q', '--force', '--detach', commits.v2!);
    await git('clean', '-q', '-f', '-d');
    expect(await activities.activateRelease({ target: target(), commit: commits.v2! })).toEqual({
      commit: commits.v2,
      previous: commits.v2,
      changed: false,
    });
  });
});
