import type { Cmd } from '../exec/run.js';

/**
 * No prompts, and only the transports a repository URL is expected to use: `ext::` and `fd::`
 * (which run commands) stay refused even where a host's git config allows them.
 */
const GIT_ENV = { GIT_TERMINAL_PROMPT: '0', GIT_ALLOW_PROTOCOL: 'file:git:http:https:ssh' } as const;

/**
 * git with a fixed identity-free, prompt-free environment, always on an explicit work tree. Every
 * value that comes from config, a request or a release follows `--end-of-options` (or `--`), so
 * none is ever read as an option (a remote named `--upload-pack=…`, a path `-x`).
 */
const git = (cwd: string, args: string[], timeoutMs?: number): Cmd => ({
  file: 'git',
  args: ['-C', cwd, ...args],
  env: { ...GIT_ENV },
  timeoutMs,
});

/**
 * A commit id as `rev-parse` prints it. `git checkout` (2.39) refuses `--end-of-options` after
 * `--detach`, so what it checks out is held to hex, which can never read as an option.
 */
function commitId(commit: string): string {
  if (!/^[0-9a-f]{4,64}$/.test(commit)) throw new TypeError(`not a commit id: ${JSON.stringify(commit.slice(0, 80))}`);
  return commit;
}

export const gitFetch = (cwd: string, remote: string, timeoutMs?: number) =>
  git(cwd, ['fetch', '--tags', '--force', '--prune', '--end-of-options', remote], timeoutMs);
/** `<ref>^{commit}` resolves tags, branches and shas; `--end-of-options` keeps the ref from being read as a flag. */
export const gitResolve = (cwd: string, ref: string) =>
  git(cwd, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
export const gitHead = (cwd: string) => git(cwd, ['rev-parse', 'HEAD']);
/** What git ignores in the working copy, NUL-separated (`!! path`, a whole ignored folder as `!! dir/`). */
export const gitIgnoredPaths = (cwd: string) =>
  git(cwd, ['status', '--porcelain=v1', '-z', '--ignored', '--untracked-files=normal']);
export const gitStatus = (cwd: string) => git(cwd, ['status', '--porcelain', '--untracked-files=normal']);
export const gitCheckout = (cwd: string, commit: string, timeoutMs?: number, o: { force?: boolean } = {}) =>
  git(cwd, ['checkout', '--quiet', ...(o.force ? ['--force'] : []), '--detach', commitId(commit)], timeoutMs);
/**
 * Every change of the working copy, NUL-separated (`XY path`; a rename adds its old path), untracked files one by one.
 */
export const gitChangedPaths = (cwd: string) =>
  git(cwd, ['status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames']);
/**
 * `<mode> <type> <id>\t<path>` (NUL-separated) of those of `paths`
 * that `commit` has; paths are literal, never pathspec magic.
 */
export const gitBlobsAt = (cwd: string, commit: string, paths: readonly string[]) =>
  git(cwd, [
    '--literal-pathspecs',
    'ls-tree',
    '-r',
    '-z',
    '--full-tree',
    '--end-of-options',
    commitId(commit),
    ...paths,
  ]);
/** The blob id each file of the working copy would get if it were added (one per line). */
export const gitHashFiles = (cwd: string, paths: readonly string[]) => git(cwd, ['hash-object', '--', ...paths]);
export const gitShowFile = (cwd: string, commit: string, path: string) =>
  git(cwd, ['show', '--end-of-options', `${commit}:${path}`]);
/** The tree entry of `path` at `commit` (`<mode> <type> <id>\t<path>`), or nothing when there is none. */
export const gitTreeEntry = (cwd: string, commit: string, path: string) =>
  git(cwd, ['ls-tree', '--end-of-options', commit, path]);
export const gitListTree = (cwd: string, commit: string, path: string) =>
  git(cwd, ['ls-tree', '--name-only', '--end-of-options', commit, `${path}/`]);
export const gitDescribe = (cwd: string, commit: string) =>
  git(cwd, ['describe', '--tags', '--always', '--end-of-options', commit]);
/** A working copy of `source` whose objects stay in `source` (--shared): cheap release directories. */
export const gitCloneShared = (source: string, dir: string, timeoutMs?: number): Cmd => ({
  file: 'git',
  args: ['clone', '--quiet', '--shared', '--no-checkout', '--', source, dir],
  env: { ...GIT_ENV },
  timeoutMs,
});
/** A bare mirror of `repository` (every ref), fetched again before each deployment. */
export const gitCloneMirror = (repository: string, dir: string, timeoutMs?: number): Cmd => ({
  file: 'git',
  args: ['clone', '--quiet', '--mirror', '--', repository, dir],
  env: { ...GIT_ENV },
  timeoutMs,
});
/**
 * The files under `paths` at `commit`, as a tar archive written to `outFile`: byte for byte what a
 * checkout would give, without touching the working copy, its index or its hooks.
 */
export const gitArchive = (cwd: string, commit: string, outFile: string, paths: readonly string[]) =>
  git(cwd, ['archive', '--format=tar', `--output=${outFile}`, '--end-of-options', commit, ...paths]);
/**
 * The commits (newest first, at most `max`) of every ref that
 * changed `path`: where an older version of a file is found.
 */
export const gitCommitsTouching = (cwd: string, path: string, max: number) =>
  git(cwd, ['log', '--all', '--format=%H', `--max-count=${max}`, '--', path]);
