import type { Cmd } from '../exec/run.js';

/** git with a fixed identity-free, prompt-free environment, always on an explicit work tree. */
const git = (cwd: string, args: string[], timeoutMs?: number): Cmd => ({
  file: 'git',
  args: ['-C', cwd, ...args],
  env: { GIT_TERMINAL_PROMPT: '0' },
  timeoutMs,
});

export const gitFetch = (cwd: string, remote: string, timeoutMs?: number) =>
  git(cwd, ['fetch', '--tags', '--force', '--prune', remote], timeoutMs);
/** `<ref>^{commit}` resolves tags, branches and shas; `--end-of-options` keeps the ref from being read as a flag. */
export const gitResolve = (cwd: string, ref: string) => git(cwd, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
export const gitHead = (cwd: string) => git(cwd, ['rev-parse', 'HEAD']);
export const gitStatus = (cwd: string) => git(cwd, ['status', '--porcelain', '--untracked-files=normal']);
export const gitCheckout = (cwd: string, commit: string, timeoutMs?: number) => git(cwd, ['checkout', '--quiet', '--detach', commit], timeoutMs);
export const gitShowFile = (cwd: string, commit: string, path: string) => git(cwd, ['show', `${commit}:${path}`]);
export const gitListTree = (cwd: string, commit: string, path: string) => git(cwd, ['ls-tree', '--name-only', commit, `${path}/`]);
export const gitDescribe = (cwd: string, commit: string) => git(cwd, ['describe', '--tags', '--always', commit]);
/** A working copy of `source` whose objects stay in `source` (--shared): cheap release directories. */
export const gitCloneShared = (source: string, dir: string, timeoutMs?: number): Cmd => ({
  file: 'git', args: ['clone', '--quiet', '--shared', '--no-checkout', '--', source, dir], env: { GIT_TERMINAL_PROMPT: '0' }, timeoutMs,
});
/** A bare mirror of `repository` (every ref), fetched again before each deployment. */
export const gitCloneMirror = (repository: string, dir: string, timeoutMs?: number): Cmd => ({
  file: 'git', args: ['clone', '--quiet', '--mirror', '--', repository, dir], env: { GIT_TERMINAL_PROMPT: '0' }, timeoutMs,
});
/**
 * The files under `paths` at `commit`, as a tar archive written to `outFile`: byte for byte what a
 * checkout would give, without touching the working copy, its index or its hooks.
 */
export const gitArchive = (cwd: string, commit: string, outFile: string, paths: readonly string[]) =>
  git(cwd, ['archive', '--format=tar', `--output=${outFile}`, '--end-of-options', commit, ...paths]);
/** The commits (newest first, at most `max`) of every ref that changed `path`: where an older version of a file is found. */
export const gitCommitsTouching = (cwd: string, path: string, max: number) =>
  git(cwd, ['log', '--all', '--format=%H', `--max-count=${max}`, '--', path]);
