import { existsSync } from 'node:fs';
import { mkdir, readdir, realpath, rename, rm, symlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { durationMs } from '../shared/duration.js';
import { ApplicationFailure } from '@temporalio/common';
import { gitCloneMirror, gitCloneShared, gitCheckout, gitHead } from '../commands/git.js';
import type { TargetConfig } from '../config/schema.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import { runInActivity, type ActivityDeps } from './activityDeps.js';
import { createDependencyActivities, type DependencyFacts } from './dependencies.js';
import { commandFailure } from './commandFailure.js';
import { ensurePrivateDir } from '../release/privateFiles.js';

import { codePaths, liveDir, stagedDir } from '../release/codePaths.js';

export { codePaths, liveDir, stagedDir };

export interface StagedRelease {
  dir: string;
  commit: string;
  install: DependencyFacts;
}

export function createLayoutActivities(deps: ActivityDeps) {
  const { installDependencies } = createDependencyActivities(deps);
  return {
    /**
     * Checks the target commit out into its own directory and installs its dependencies there,
     * without touching production: the release directory (layout `releases`), or a scratch copy
     * for the rehearsal (in place). A retry finds its own directory and finishes it.
     */
    async stageRelease({
      target: t,
      deploymentId,
      commit,
      startedAt,
      requiredPackages,
    }: {
      target: TargetConfig;
      deploymentId: string;
      commit: string;
      startedAt: string;
      requiredPackages: string[];
    }): Promise<StagedRelease> {
      const p = codePaths(t);
      const dir = stagedDir(t, deploymentId, commit, startedAt);
      const gitTimeout = durationMs(t.commandTimeouts.git);
      const head = existsSync(join(dir, '.git'))
        ? (await runInActivity(gitHead(dir), 'head').catch(() => undefined))?.stdout.trim()
        : undefined;
      if (head !== commit) {
        await rm(dir, { recursive: true, force: true });
        if (t.codeLayout === 'releases') await mkdir(dirname(dir), { recursive: true });
        else await ensurePrivateDir(p.workDir, { field: 'workDir', step: 'stage-release', tighten: true });
        try {
          // --shared: the objects stay in the source repository; a release directory costs its files only.
          await runInActivity(gitCloneShared(p.gitDir, dir, gitTimeout), 'clone');
          await runInActivity(gitCheckout(dir, commit, gitTimeout), 'checkout');
        } catch (e) {
          throw commandFailure(e, {
            step: 'stage-release',
            type: FailureType.CommandFailed,
            what: `cannot check ${commit.slice(0, 12)} out into ${dir}`,
            remedy: `check ${p.gitDir} and free space`,
            retryable: true,
          });
        }
      }
      const install = await installDependencies({
        target: t,
        commit,
        requiredPackages,
        step: 'stage-release',
        dir,
        // Older targets (histories) carry no `install`: reuse, the default.
        liveTree: { dir: await liveDir(t).catch(() => t.appDir), reuse: t.install?.reuseLiveModules ?? true },
      }).catch(async (e) => {
        // A release its own install refuses is not retried: its scratch copy goes now (a retryable
        // failure keeps it, for the retry to finish).
        if (t.codeLayout !== 'releases' && e instanceof ApplicationFailure && e.nonRetryable)
          await rm(dir, { recursive: true, force: true });
        throw e;
      });
      return { dir, commit, install };
    },

    /** Removes a scratch copy staged for the rehearsal (in place). Idempotent. */
    async removeStagedRelease({
      target: t,
      dir,
    }: {
      target: TargetConfig;
      dir: string;
    }): Promise<{ removed: boolean }> {
      if (t.codeLayout === 'releases' || !dir.startsWith(codePaths(t).workDir + '/')) return { removed: false };
      const existed = existsSync(dir);
      await rm(dir, { recursive: true, force: true });
      return { removed: existed };
    },

    /**
     * Points `current` at `dir` by renaming a new symlink over it: at every instant `current` is
     * either the old release or the new one. Already there = nothing to do.
     */
    async switchCurrent({
      target: t,
      dir,
      commit,
    }: {
      target: TargetConfig;
      dir: string;
      commit: string;
    }): Promise<{ previous: string; dir: string; changed: boolean }> {
      const head = (await runInActivity(gitHead(dir), 'head')).stdout.trim();
      if (head !== commit) {
        throw deployFailure(FailureType.CommandFailed, {
          step: 'activate-release',
          what: `${dir} is at ${head.slice(0, 12)}, expected ${commit.slice(0, 12)}`,
          remedy: `inspect ${dir}; current was not switched`,
          retryable: false,
        });
      }
      const previous = existsSync(t.appDir) ? await realpath(t.appDir) : '';
      if (previous === (await realpath(dir))) return { previous, dir, changed: false };
      const tmp = `${t.appDir}.next-${process.pid}`;
      await rm(tmp, { force: true });
      await symlink(dir, tmp);
      await rename(tmp, t.appDir);
      return { previous, dir, changed: true };
    },

    /** Keeps the newest `releases.keep` release directories, never the live one or `protect`. */
    async pruneReleases({
      target: t,
      protect,
    }: {
      target: TargetConfig;
      protect: string[];
    }): Promise<{ removed: string[] }> {
      if (t.codeLayout !== 'releases') return { removed: [] };
      const { releasesDir } = codePaths(t);
      const live = await realpath(t.appDir).catch(() => '');
      const keepSet = new Set([live, ...protect].map((d) => basename(d)));
      const names = (await readdir(releasesDir).catch(() => [] as string[])).sort().reverse();
      const removed: string[] = [];
      for (const [i, name] of names.entries()) {
        if (i < (t.releases?.keep ?? 5) || keepSet.has(name)) continue;
        await rm(join(releasesDir, name), { recursive: true, force: true });
        removed.push(name);
      }
      return { removed };
    },

    /** The mirror of the repository the releases come from (layout `releases`), created on first use. */
    async ensureMirror({ target: t }: { target: TargetConfig }): Promise<{ created: boolean }> {
      const p = codePaths(t);
      if (t.codeLayout !== 'releases' || existsSync(join(p.gitDir, 'HEAD'))) return { created: false };
      const tmp = `${p.gitDir}.tmp-${process.pid}`;
      await rm(tmp, { recursive: true, force: true });
      try {
        await runInActivity(gitCloneMirror(t.releases!.repository, tmp, durationMs(t.commandTimeouts.git)), 'mirror');
      } catch (e) {
        throw commandFailure(e, {
          step: 'resolve-release',
          type: FailureType.CommandFailed,
          what: `cannot mirror ${t.releases!.repository}`,
          remedy: 'check releases.repository and that it is reachable',
          retryable: true,
        });
      }
      await rename(tmp, p.gitDir);
      return { created: true };
    },
  };
}
