import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitCheckout, gitCloneMirror, gitFetch, gitListTree } from '../../src/commands/git.js';
import { environmentConfigSchema } from '../../src/config/schema.js';
import { run } from '../../src/exec/run.js';

/**
 * Issue 12, item 8: `gitRemote` could start with `-` and reached git as an option. Every value from
 * config, a request or a release that reaches git's argv is validated or follows --end-of-options;
 * proven on a real repository by commands that would run a program if read as options.
 */
let root: string;
let clone: string;
let origin: string;
let head: string;
const marker = () => join(root, 'pwned');
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

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'sd-git-argv-'));
  origin = join(root, 'origin');
  mkdirSync(join(origin, '-migrations'), { recursive: true });
  git(origin, 'init', '--quiet', '--initial-branch=main');
  writeFileSync(join(origin, '-migrations', 'init.sql'), 'SELECT 1;\n');
  git(origin, 'add', '.');
  git(origin, 'commit', '--quiet', '-m', 'v1');
  clone = join(root, 'app');
  execFileSync('git', ['clone', '--quiet', origin, clone], { stdio: 'ignore' });
  head = git(clone, 'rev-parse', 'HEAD');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the config refuses option-looking git values', () => {
  const base = {
    appDir: '/srv/app/current',
    database: { urlEnv: 'DATABASE_URL' },
    backup: { dir: '/var/backups' },
    commands: { restart: ['true'] },
    writes: { policy: 'detect' },
    baseUrl: 'http://127.0.0.1:3000',
  };
  const ok = (over: Record<string, unknown>) => environmentConfigSchema.safeParse({ ...base, ...over }).success;

  it.each(['-uoops', '--upload-pack=touch /tmp/x', '.', '..', '-'])('gitRemote %j is refused', (gitRemote) =>
    expect(ok({ gitRemote })).toBe(false),
  );
  it.each(['origin', 'upstream_2', 'my.remote', 'prod-mirror'])('gitRemote %j is accepted', (gitRemote) =>
    expect(ok({ gitRemote })).toBe(true),
  );

  const releases = (repository: string) => ({ codeLayout: 'releases', releases: { repository } });
  it.each([
    '-uoops',
    '--upload-pack=touch /tmp/x',
    'ext::sh -c touch% /tmp/x',
    'fd::17',
    'https://host/x.git\n--upload-pack=x',
  ])('releases.repository %j is refused', (r) => expect(ok(releases(r))).toBe(false));
  it.each([
    'https://github.com/acme/app.git',
    'git@github.com:acme/app.git',
    'ssh://git@host:22/app.git',
    '/srv/app/origin.git',
    'file:///srv/app/origin.git',
  ])('releases.repository %j is accepted', (r) => expect(ok(releases(r))).toBe(true));
});

describe('values reach git after --end-of-options, never as options (real repository)', () => {
  it('a remote named --upload-pack=<program> is a (missing) remote, not a program git runs', async () => {
    const err = await run(gitFetch(clone, `--upload-pack=touch ${marker()}`, 20_000)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(existsSync(marker())).toBe(false);
    // The ordinary remote still fetches.
    await run(gitFetch(clone, 'origin', 20_000));
  });

  it('a migrations folder whose name starts with - is listed, not parsed as a switch', async () => {
    const r = await run(gitListTree(clone, head, '-migrations'));
    expect(r.stdout.trim()).toBe('-migrations/init.sql');
  });

  it('a mirror of an ext:: "repository" never runs its command, even where the host git config allows ext', async () => {
    const cmd = gitCloneMirror(`ext::sh -c touch% ${marker()}`, join(root, 'mirror'), 20_000);
    // What an administrator's /etc/gitconfig could say; GIT_ALLOW_PROTOCOL overrides it.
    const allowExt = { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'protocol.ext.allow', GIT_CONFIG_VALUE_0: 'always' };
    const err = await run({ ...cmd, env: { ...cmd.env, ...allowExt } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(existsSync(marker())).toBe(false);
  });

  it('checks out commit ids only: anything else is refused before git runs', () => {
    expect(() => gitCheckout(clone, '--orphan=evil')).toThrow(/not a commit id/);
    expect(() => gitCheckout(clone, '-b')).toThrow(/not a commit id/);
    expect(gitCheckout(clone, head).args).toEqual(['-C', clone, 'checkout', '--quiet', '--detach', head]);
  });
});
