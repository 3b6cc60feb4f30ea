import type * as FsPromises from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActivities } from '../../src/activities/index.js';
import { keptDir, moveInActions, parseIgnored, restoreActions } from '../../src/release/stagedProducts.js';
import type { DependencyFacts } from '../../src/activities/dependencies.js';
import type { TargetConfig } from '../../src/config/schema.js';

// rename goes through a spy, so that a test can make one of them fail (a worker killed between two renames, EXDEV).
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof FsPromises>();
  return { ...actual, rename: vi.fn(actual.rename) };
});
const realRename = (await vi.importActual<typeof FsPromises>('node:fs/promises')).rename;

describe('the install products a staged checkout lists', () => {
  it('are its ignored paths, trailing slash dropped, sorted', () => {
    expect(parseIgnored('!! node_modules/\0!! dist/\0?? notes.txt\0 M src/a.js\0')).toEqual(['dist', 'node_modules']);
    expect(parseIgnored('')).toEqual([]);
  });
  it('refuse a path that could leave the working copy', () => {
    expect(() => parseIgnored('!! ../x\0')).toThrow(/unexpected ignored path/);
    expect(() => parseIgnored('!! /etc\0')).toThrow(/unexpected ignored path/);
    expect(() => parseIgnored('!! a/.git/b\0')).toThrow(/unexpected ignored path/);
  });
});

describe('finishing a move from the state an earlier attempt left', () => {
  it.each([
    [
      'fresh, with a previous one',
      { staged: true, app: true, kept: false, hadPrevious: true },
      ['keep-previous', 'move-in'],
    ],
    ['fresh, no previous one', { staged: true, app: false, kept: false, hadPrevious: false }, ['move-in']],
    [
      'previous kept, killed before the move in',
      { staged: true, app: false, kept: true, hadPrevious: true },
      ['move-in'],
    ],
    [
      'previous kept, something recreated in its place',
      { staged: true, app: true, kept: true, hadPrevious: true },
      ['remove-app', 'move-in'],
    ],
    [
      'no previous, something appeared since the journal',
      { staged: true, app: true, kept: false, hadPrevious: false },
      ['remove-app', 'move-in'],
    ],
    ['already moved in', { staged: false, app: true, kept: true, hadPrevious: true }, []],
  ] as const)('%s', (_, state, actions) => expect(moveInActions(state)).toEqual(actions));

  it.each([
    ['moved in, previous kept', { app: true, kept: true, hadPrevious: true }, ['remove-app', 'restore-previous']],
    ['killed after removing the new one', { app: false, kept: true, hadPrevious: true }, ['restore-previous']],
    ['already back, or never moved aside', { app: true, kept: false, hadPrevious: true }, []],
    ['the app had none before', { app: true, kept: false, hadPrevious: false }, ['remove-app']],
    ['the app had none, and has none', { app: false, kept: false, hadPrevious: false }, []],
  ] as const)('restore: %s', (_, state, actions) => expect(restoreActions(state)).toEqual(actions));
});

/**
 * installDependencies on real git working copies and a real filesystem: the install command is a
 * program that fails, so any test that passes proves it never ran — except where the fallback must
 * run it, which then uses one that writes node_modules.
 */
describe('installDependencies moving the staged install in, and the rollback moving it back', () => {
  let root: string;
  let app: string;
  let staged: string;
  let v1: string;
  let v2: string;
  const deploymentId = 'dep-1';
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
  const git = (dir: string, ...args: string[]) =>
    execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', env }).trim();
  const sha = (file: string) => execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0]!;
  const FAILING_INSTALL = [process.execPath, '-e', 'process.exit(7)'];
  const target = (install: readonly string[] = FAILING_INSTALL) =>
    ({
      app: 'demo',
      environment: 'test',
      appDir: app,
      codeLayout: 'in-place',
      workDir: join(root, 'work'),
      backup: { dir: join(root, 'backups') },
      commandEnv: {},
      commands: { install, build: [], restart: ['true'] },
      commandTimeouts: { install: '1 minute', git: '1 minute' },
    }) as unknown as TargetConfig;
  /** node_modules as an install of `commit` leaves it: the lockfile's packages and safe-deploy's marker. */
  const installed = (dir: string, commit: string, packages: string[]) => {
    for (const p of packages) {
      mkdirSync(join(dir, 'node_modules', p), { recursive: true });
      writeFileSync(join(dir, 'node_modules', p, 'package.json'), `{"name":"${p}"}`);
    }
    writeFileSync(
      join(dir, 'node_modules', '.safe-deploy-install.json'),
      JSON.stringify({ commit, lockfileSha256: sha(join(dir, 'package-lock.json')), dir }),
    );
  };
  const lock = (packages: string[]) =>
    JSON.stringify({ packages: Object.fromEntries(packages.map((p) => [`node_modules/${p}`, {}])) });
  const run = (input: Record<string, unknown>): Promise<DependencyFacts> =>
    new MockActivityEnvironment().run(
      createActivities({ configPath: join(root, 'none.json'), env: {} }).installDependencies,
      { target: target(), requiredPackages: [], ...input } as never,
    );
  const inode = (p: string) => statSync(p).ino;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'staged-products-'));
    app = join(root, 'app');
    mkdirSync(app);
    git(app, 'init', '-q');
    writeFileSync(join(app, '.gitignore'), 'node_modules/\ndist/\n.env\n');
    writeFileSync(join(app, 'package-lock.json'), lock(['pg']));
    git(app, 'add', '-A');
    git(app, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'v1');
    v1 = git(app, 'rev-parse', 'HEAD');
    writeFileSync(join(app, 'package-lock.json'), lock(['pg', 'xml2js']));
    git(app, 'add', '-A');
    git(app, '-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'v2');
    v2 = git(app, 'rev-parse', 'HEAD');
    git(app, 'checkout', '-q', '--detach', v1);
    installed(app, v1, ['pg']);
    writeFileSync(join(app, '.env'), 'SECRET=1\n'); // ignored, not an install product: must stay
    // The staged copy: a fresh checkout of v2 with its install and a build output.
    staged = join(root, 'work', `stage-${deploymentId}`);
    execFileSync('git', ['clone', '-q', '--shared', app, staged], { env });
    git(staged, '-c', 'advice.detachedHead=false', 'checkout', '-q', '--detach', v2);
    installed(staged, v2, ['pg', 'xml2js']);
    mkdirSync(join(staged, 'dist'));
    writeFileSync(join(staged, 'dist', 'app.js'), 'built v2');
    git(app, 'checkout', '-q', '--detach', v2); // activate-release ran
  });
  afterEach(() => {
    vi.mocked(fsp.rename).mockImplementation(realRename);
    rmSync(root, { recursive: true, force: true });
  });

  it("moves node_modules and dist in without running the install command, keeps v1's aside, and the rollback moves it back", async () => {
    const v1Modules = inode(join(app, 'node_modules'));
    const v2Modules = inode(join(staged, 'node_modules'));
    const r = await run({ commit: v2, step: 'install-dependencies', fromStaged: { dir: staged, deploymentId } });
    expect(r).toMatchObject({ commit: v2, source: 'staged', packages: 2 });
    expect(r.note).toBeUndefined();
    expect(inode(join(app, 'node_modules'))).toBe(v2Modules);
    expect(readFileSync(join(app, 'dist', 'app.js'), 'utf8')).toBe('built v2');
    expect(readFileSync(join(app, '.env'), 'utf8')).toBe('SECRET=1\n');
    expect(existsSync(join(staged, 'node_modules'))).toBe(false);
    expect(inode(join(keptDir(target(), deploymentId), 'products', 'node_modules'))).toBe(v1Modules);
    expect(statSync(keptDir(target(), deploymentId)).mode & 0o777).toBe(0o700);
    // A retry after the move is complete: nothing to move, still no install.
    expect(
      await run({ commit: v2, step: 'install-dependencies', fromStaged: { dir: staged, deploymentId } }),
    ).toMatchObject({ source: 'staged', skipped: true });

    git(app, 'checkout', '-q', '--detach', v1); // reactivate-release ran
    const back = await run({ commit: v1, step: 'reinstall-dependencies', restoreKept: { deploymentId } });
    expect(back).toMatchObject({ commit: v1, source: 'kept', packages: 1 });
    expect(inode(join(app, 'node_modules'))).toBe(v1Modules);
    expect(existsSync(join(app, 'node_modules', 'xml2js'))).toBe(false);
    expect(existsSync(join(app, 'dist'))).toBe(false); // v1 had no build output: v2's is gone
    expect(existsSync(keptDir(target(), deploymentId))).toBe(false);
  });

  it('a worker killed between moving v1 aside and moving v2 in: the retry finishes the move, the rollback restores v1', async () => {
    const v1Modules = inode(join(app, 'node_modules'));
    vi.mocked(fsp.rename).mockImplementation(async (from, to) => {
      if (String(from) === join(staged, 'node_modules')) throw new Error('worker killed');
      return realRename(from, to);
    });
    await expect(
      run({ commit: v2, step: 'install-dependencies', fromStaged: { dir: staged, deploymentId } }),
    ).rejects.toThrow(/worker killed/);
    // Half-moved: v1's node_modules aside, v2's still staged, the app without any.
    expect(existsSync(join(app, 'node_modules'))).toBe(false);
    expect(existsSync(join(staged, 'node_modules'))).toBe(true);
    vi.mocked(fsp.rename).mockImplementation(realRename);

    const r = await run({ commit: v2, step: 'install-dependencies', fromStaged: { dir: staged, deploymentId } });
    expect(r).toMatchObject({ source: 'staged', packages: 2 });
    expect(existsSync(join(app, 'node_modules', 'xml2js', 'package.json'))).toBe(true);
    expect(inode(join(keptDir(target(), deploymentId), 'products', 'node_modules'))).toBe(v1Modules);

    git(app, 'checkout', '-q', '--detach', v1);
    expect(await run({ commit: v1, step: 'reinstall-dependencies', restoreKept: { deploymentId } })).toMatchObject({
      source: 'kept',
    });
    expect(inode(join(app, 'node_modules'))).toBe(v1Modules);
  });

  it('a rollback of a half-moved state (killed, then rolled back) puts v1 back', async () => {
    const v1Modules = inode(join(app, 'node_modules'));
    vi.mocked(fsp.rename).mockImplementation(async (from, to) => {
      if (String(from) === join(staged, 'node_modules')) throw new Error('worker killed');
      return realRename(from, to);
    });
    await expect(
      run({ commit: v2, step: 'install-dependencies', fromStaged: { dir: staged, deploymentId } }),
    ).rejects.toThrow(/worker killed/);
    vi.mocked(fsp.rename).mockImplementation(realRename);
    git(app, 'checkout', '-q', '--detach', v1);
    expect(await run({ commit: v1, step: 'reinstall-dependencies', restoreKept: { deploymentId } })).toMatchObject({
      source: 'kept',
      packages: 1,
    });
    expect(inode(join(app, 'node_modules'))).toBe(v1Modules);
  });

  it('kept dependencies that do not match the previous lockfile: the rollback installs, and says so', async () => {
    rmSync(join(app, 'node_modules', '.safe-deploy-install.json')); // v1 installed by hand, before safe-deploy
    await run({ commit: v2, step: 'install-dependencies', fromStaged: { dir: staged, deploymentId } });
    git(app, 'checkout', '-q', '--detach', v1);
    const err = await run({ commit: v1, step: 'reinstall-dependencies', restoreKept: { deploymentId } }).catch(
      (e: Error) => e,
    );
    // The install command ran (and, being the failing stand-in, failed): no marker, no trust.
    expect((err as Error).message).toMatch(/install failed/);
  });

  it('a rename across filesystems (EXDEV): falls back to the install command, and says so', async () => {
    vi.mocked(fsp.rename).mockImplementation(async (from, to) => {
      if (String(from) === join(staged, 'node_modules'))
        throw Object.assign(new Error('EXDEV: cross-device link not permitted'), { code: 'EXDEV' });
      return realRename(from, to);
    });
    const writesModules = [
      process.execPath,
      '-e',
      "const fs=require('fs');for(const p of ['pg','xml2js']){fs.mkdirSync('node_modules/'+p,{recursive:true});fs.writeFileSync('node_modules/'+p+'/package.json','{}')}",
    ];
    const r: DependencyFacts = await new MockActivityEnvironment().run(
      createActivities({ configPath: join(root, 'none.json'), env: {} }).installDependencies,
      {
        target: target(writesModules),
        requiredPackages: [],
        commit: v2,
        step: 'install-dependencies' as const,
        fromStaged: { dir: staged, deploymentId },
      },
    );
    expect(r.source).toBeUndefined();
    expect(r.note).toMatch(/EXDEV.*installed with the install command/);
    expect(JSON.parse(readFileSync(join(app, 'node_modules', '.safe-deploy-install.json'), 'utf8'))).toMatchObject({
      commit: v2,
      dir: app,
    });
  });
});
