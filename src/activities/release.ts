import { msToNumber } from '@temporalio/common/lib/time.js';
import { gitCheckout, gitDescribe, gitFetch, gitHead, gitListTree, gitResolve, gitShowFile, gitStatus } from '../commands/git.js';
import { describeIssues, releaseManifestSchema, type ReleaseManifest, type TargetConfig } from '../config/schema.js';
import { CommandFailed } from '../exec/run.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import { runInActivity, type ActivityDeps } from './deps.js';
import { commandFailure } from './failures.js';
import { codePaths, createLayoutActivities, liveDir } from './layout.js';

export interface ReleaseInfo {
  commit: string;
  /** Where it lives on disk, for the live release (its own directory in the `releases` layout). */
  dir?: string;
  /** `git describe` of the commit, e.g. `v2` */
  name: string;
  manifest: ReleaseManifest;
  /** Migration folder names in this release. */
  migrations: string[];
}

export interface ResolvedRelease {
  current: ReleaseInfo;
  target: ReleaseInfo;
}

export interface ActivateInput {
  target: TargetConfig;
  commit: string;
  /** Layout `releases`: the release directory `current` must point at. */
  dir?: string;
}

async function releaseInfo(t: TargetConfig, commit: string): Promise<ReleaseInfo> {
  const git = codePaths(t).gitDir;
  const name = (await runInActivity(gitDescribe(git, commit), 'describe')).stdout.trim();
  let manifest: ReleaseManifest = releaseManifestSchema.parse({});
  try {
    const text = (await runInActivity(gitShowFile(git, commit, t.manifestFile), 'manifest')).stdout;
    const parsed = releaseManifestSchema.safeParse(JSON.parse(text));
    if (!parsed.success) {
      throw deployFailure(FailureType.InvalidConfig, {
        step: 'resolve-release',
        what: `${t.manifestFile} at ${name} is invalid: ${describeIssues(parsed.error, t.manifestFile)}`,
        remedy: `fix ${t.manifestFile} in the release and tag it again`,
        retryable: false,
      });
    }
    manifest = parsed.data;
  } catch (e) {
    if (!(e instanceof CommandFailed)) throw e; // no manifest in this release: nothing declared
  }
  let migrations: string[] = [];
  try {
    const listing = (await runInActivity(gitListTree(git, commit, t.migrationsDir), 'migrations')).stdout;
    migrations = listing.split('\n').map((l) => l.trim().split('/').pop()!).filter((n) => n && !n.endsWith('.toml')).sort();
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
      const gitTimeout = msToNumber(t.commandTimeouts.git as never);
      const dirty = (await runInActivity(gitStatus(t.appDir), 'status').catch((e) => {
        throw commandFailure(e, { step: 'resolve-release', type: FailureType.InvalidConfig, what: `${t.appDir} is not a git working copy`, remedy: 'set appDir to the production clone of the app', retryable: false });
      })).stdout.trim();
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
        throw commandFailure(e, { step: 'resolve-release', type: FailureType.CommandFailed, what: `git fetch ${remote} failed`, remedy: 'check that the remote is reachable', retryable: true });
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
          what: `ref '${ref}' does not exist in ${t.codeLayout === 'releases' ? t.releases!.repository : t.gitRemote} (no tag, branch or commit of that name)`,
          remedy: 'push the tag or branch, or fix the ref; nothing was changed',
          retryable: false,
        });
      }
      const head = (await runInActivity(gitHead(t.appDir), 'head')).stdout.trim();
      return { current: { ...(await releaseInfo(t, head)), dir: await liveDir(t) }, target: await releaseInfo(t, commit) };
    },

    /** Checks out `commit` (detached) in the working copy. Already there = nothing to do. */
    async activateRelease({ target: t, commit, dir }: ActivateInput): Promise<{ commit: string; previous: string; changed: boolean }> {
      if (t.codeLayout === 'releases') {
        if (!dir) throw deployFailure(FailureType.CommandFailed, { step: 'activate-release', what: 'no release directory given', remedy: 'a bug: stage the release first', retryable: false });
        const r = await layout.switchCurrent({ target: t, dir, commit });
        return { commit, previous: r.previous, changed: r.changed };
      }
      const previous = (await runInActivity(gitHead(t.appDir), 'head')).stdout.trim();
      if (previous === commit) return { commit, previous, changed: false };
      try {
        await runInActivity(gitCheckout(t.appDir, commit, msToNumber(t.commandTimeouts.git as never)), 'checkout');
      } catch (e) {
        throw commandFailure(e, { step: 'activate-release', type: FailureType.CommandFailed, what: `git checkout ${commit.slice(0, 12)} failed`, remedy: `check ${t.appDir} (local changes?) and run git checkout by hand`, retryable: true });
      }
      const now = (await runInActivity(gitHead(t.appDir), 'head')).stdout.trim();
      if (now !== commit) {
        throw deployFailure(FailureType.CommandFailed, { step: 'activate-release', what: `after checkout HEAD is ${now}, expected ${commit}`, remedy: `inspect ${t.appDir}`, retryable: false });
      }
      return { commit, previous, changed: true };
    },
  };
}
