import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { durationMs } from '../shared/duration.js';
import {
  gitBlobsAt,
  gitChangedPaths,
  gitCheckout,
  gitDescribe,
  gitHashFiles,
  gitFetch,
  gitHead,
  gitListTree,
  gitResolve,
  gitShowFile,
  gitStatus,
  gitTreeEntry,
} from '../commands/git.js';
import { describeIssues, releaseManifestSchema, type ReleaseManifest, type TargetConfig } from '../config/schema.js';
import { CommandFailed } from '../exec/run.js';
import { DEFAULT_MANIFEST_FILE } from '../shared/constants.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import { runInActivity, type ActivityDeps } from './activityDeps.js';
import { commandFailure } from './commandFailure.js';
import { codePaths, createLayoutActivities, liveDir } from './layout.js';
import type { ReleaseInfo, ResolvedRelease } from '../shared/releaseFacts.js';

export interface ActivateInput {
  target: TargetConfig;
  commit: string;
  /** Layout `releases`: the release directory `current` must point at. */
  dir?: string;
  /**
   * In place, when putting the previous release back: the release being undone. A checkout to it
   * that was cut short left some of its files in the working copy, which may be replaced.
   */
  undoing?: string;
}

/** Paths per git call: a bounded argv, and an answer far under the runner's 64 KiB output tail. */
const PATHS_PER_CALL = 200;

/**
 * The paths of the working copy that differ from its index or are untracked, and of those the
 * ones whose content is not the same path's content in any of `commits` (absent counts: a file
 * the commit does not have, missing from the disk). A checkout cut short (its worker killed
 * mid-way, the host down) leaves each file at one of two commits' versions: no foreign path.
 */
async function changedPaths(appDir: string): Promise<{ path: string; untracked: boolean }[]> {
  const status = (await runInActivity(gitChangedPaths(appDir), 'status')).stdout;
  return status
    .split('\0')
    .filter((e) => e.length > 3)
    .map((e) => ({ path: e.slice(3), untracked: e.startsWith('??') }));
}

async function changesBeyond(
  appDir: string,
  commits: readonly string[],
): Promise<{ changed: string[]; foreign: string[] }> {
  const changed = (await changedPaths(appDir)).map((c) => c.path);
  const foreign: string[] = [];
  for (let i = 0; i < changed.length; i += PATHS_PER_CALL) {
    const paths = changed.slice(i, i + PATHS_PER_CALL);
    const onDisk = paths.filter((p) => existsSync(join(appDir, p)));
    const hashes = onDisk.length
      ? (await runInActivity(gitHashFiles(appDir, onDisk), 'hash')).stdout.trim().split('\n')
      : [];
    const now = new Map(onDisk.map((p, k) => [p, hashes[k]]));
    const versions = await Promise.all(
      commits.map(
        async (c) =>
          new Map(
            (await runInActivity(gitBlobsAt(appDir, c, paths), 'ls-tree')).stdout
              .split('\0')
              .filter(Boolean)
              .map((line) => {
                const tab = line.indexOf('\t');
                return [line.slice(tab + 1), line.slice(0, tab).split(' ')[2]] as const;
              }),
          ),
      ),
    );
    for (const p of paths) if (!versions.some((v) => v.get(p) === now.get(p))) foreign.push(p);
  }
  return { changed, foreign };
}

/**
 * The release's manifest. Without one, a release declares nothing: normal for a release older
 * than the manifest under its default name. A `manifestFile` named explicitly must be in the
 * target release, though, so that a typo in the config cannot silently drop the release's
 * checks; the current release (the rollback target) may predate it.
 */
async function readManifest(
  t: TargetConfig,
  git: string,
  commit: string,
  name: string,
  isTarget: boolean,
): Promise<ReleaseManifest> {
  const invalid = (what: string, remedy: string) =>
    deployFailure(FailureType.InvalidConfig, { step: 'resolve-release', what, remedy, retryable: false });
  const entry = (await runInActivity(gitTreeEntry(git, commit, t.manifestFile), 'manifest')).stdout.trim();
  if (!/^\d+ blob /.test(entry)) {
    if (!isTarget || t.manifestFile === DEFAULT_MANIFEST_FILE) return releaseManifestSchema.parse({});
    throw invalid(
      `apps.${t.app}.${t.environment}.manifestFile: ${t.manifestFile} ` +
        `${entry ? 'is a folder' : 'does not exist'} in ${name} (${commit.slice(0, 12)})`,
      `fix manifestFile in the worker config, or add the file to the release; only the default ` +
        `${DEFAULT_MANIFEST_FILE} may be absent. Nothing was changed`,
    );
  }
  const text = (await runInActivity(gitShowFile(git, commit, t.manifestFile), 'manifest')).stdout;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw invalid(
      `${t.manifestFile} at ${name} is not JSON: ${(e as Error).message}`,
      `fix ${t.manifestFile} in the release and tag it again`,
    );
  }
  const parsed = releaseManifestSchema.safeParse(json);
  if (!parsed.success)
    throw invalid(
      `${t.manifestFile} at ${name} is invalid: ${describeIssues(parsed.error, t.manifestFile)}`,
      `fix ${t.manifestFile} in the release and tag it again`,
    );
  return parsed.data;
}

async function releaseInfo(t: TargetConfig, commit: string, isTarget: boolean): Promise<ReleaseInfo> {
  const git = codePaths(t).gitDir;
  const name = (await runInActivity(gitDescribe(git, commit), 'describe')).stdout.trim();
  const manifest = await readManifest(t, git, commit, name, isTarget);
  let migrations: string[] = [];
  try {
    const listing = (await runInActivity(gitListTree(git, commit, t.migrationsDir), 'migrations')).stdout;
    migrations = listing
      .split('\n')
      .map((l) => l.trim().split('/').pop()!)
      .filter((n) => n && !n.endsWith('.toml'))
      .sort();
  } catch (e) {
    if (!(e instanceof CommandFailed)) throw e;
  }
  return { commit, name, manifest, migrations };
}

export function createReleaseActivities(deps: ActivityDeps) {
  const layout = createLayoutActivities(deps);
  return {
    /**
     * Fetches the remote and resolves the requested ref to a commit, reading both the current and
     * the target release's manifests. The working copy is not touched.
     */
    async resolveRelease({ target: t, ref }: { target: TargetConfig; ref: string }): Promise<ResolvedRelease> {
      const gitTimeout = durationMs(t.commandTimeouts.git);
      const dirty = (
        await runInActivity(gitStatus(t.appDir), 'status').catch((e) => {
          throw commandFailure(e, {
            step: 'resolve-release',
            type: FailureType.InvalidConfig,
            what: `${t.appDir} is not a git working copy`,
            remedy: 'set appDir to the production clone of the app',
            retryable: false,
          });
        })
      ).stdout.trim();
      if (dirty) {
        throw deployFailure(FailureType.WorkingCopyDirty, {
          step: 'resolve-release',
          what: `the working copy ${t.appDir} has local changes:\n${dirty.split('\n').slice(0, 10).join('\n')}`,
          remedy: 'commit, stash or discard them by hand (a deployment never overwrites them), then start again',
          retryable: false,
        });
      }
      const { gitDir, remote } = codePaths(t);
      await layout.ensureMirror({ target: t });
      try {
        await runInActivity({ ...gitFetch(gitDir, remote, gitTimeout) }, 'fetch');
      } catch (e) {
        throw commandFailure(e, {
          step: 'resolve-release',
          type: FailureType.CommandFailed,
          what: `git fetch ${remote} failed`,
          remedy: 'check that the remote is reachable',
          retryable: true,
        });
      }
      let commit: string | undefined;
      for (const candidate of [ref, `${remote}/${ref}`]) {
        try {
          commit = (await runInActivity(gitResolve(gitDir, candidate), 'resolve')).stdout.trim();
          break;
        } catch (e) {
          if (!(e instanceof CommandFailed)) throw e;
        }
      }
      if (!commit) {
        throw deployFailure(FailureType.ReleaseNotFound, {
          step: 'resolve-release',
          what:
            `ref '${ref}' does not exist in ` +
            `${t.codeLayout === 'releases' ? t.releases!.repository : t.gitRemote} (no tag, branch or commit ` +
            `of that name)`,
          remedy: 'push the tag or branch, or fix the ref; nothing was changed',
          retryable: false,
        });
      }
      const head = (await runInActivity(gitHead(t.appDir), 'head')).stdout.trim();
      return {
        current: { ...(await releaseInfo(t, head, false)), dir: await liveDir(t) },
        target: await releaseInfo(t, commit, true),
      };
    },

    /**
     * Checks out `commit` (detached) in the working copy. Already there and clean = nothing to do.
     * A checkout cut short (every changed file at HEAD's, the target's or the undone release's
     * version) is finished with --force; any other change is someone's, and stops the step.
     */
    async activateRelease({
      target: t,
      commit,
      dir,
      undoing,
    }: ActivateInput): Promise<{ commit: string; previous: string; changed: boolean }> {
      if (t.codeLayout === 'releases') {
        if (!dir)
          throw deployFailure(FailureType.CommandFailed, {
            step: 'activate-release',
            what: 'no release directory given',
            remedy: 'a bug: stage the release first',
            retryable: false,
          });
        const r = await layout.switchCurrent({ target: t, dir, commit });
        return { commit, previous: r.previous, changed: r.changed };
      }
      const previous = (await runInActivity(gitHead(t.appDir), 'head')).stdout.trim();
      const { changed, foreign } = await changesBeyond(t.appDir, [
        ...new Set([previous, commit, ...(undoing ? [undoing] : [])]),
      ]);
      if (foreign.length > 0) {
        throw deployFailure(FailureType.WorkingCopyDirty, {
          step: 'activate-release',
          what:
            `${t.appDir} has changes that are no release's version of the file: ` +
            `${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ` and ${foreign.length - 5} more` : ''}`,
          remedy:
            'someone changed the working copy during the deployment: keep what must be kept elsewhere, then ' +
            'git checkout the release by hand',
          retryable: false,
        });
      }
      if (previous === commit && changed.length === 0) return { commit, previous, changed: false };
      try {
        await runInActivity(
          gitCheckout(t.appDir, commit, durationMs(t.commandTimeouts.git), { force: changed.length > 0 }),
          'checkout',
        );
      } catch (e) {
        throw commandFailure(e, {
          step: 'activate-release',
          type: FailureType.CommandFailed,
          what: `git checkout ${commit.slice(0, 12)} failed`,
          remedy: `check ${t.appDir} (local changes?) and run git checkout by hand`,
          retryable: true,
        });
      }
      // What a checkout never removes: files of the other release that the target does not have (proven above).
      for (const left of (await changedPaths(t.appDir)).filter((c) => c.untracked && changed.includes(c.path)))
        rmSync(join(t.appDir, left.path), { force: true });
      const now = (await runInActivity(gitHead(t.appDir), 'head')).stdout.trim();
      if (now !== commit) {
        throw deployFailure(FailureType.CommandFailed, {
          step: 'activate-release',
          what: `after checkout HEAD is ${now}, expected ${commit}`,
          remedy: `inspect ${t.appDir}`,
          retryable: false,
        });
      }
      return { commit, previous, changed: true };
    },
  };
}
