import { CancellationScope, patched, workflowInfo } from '@temporalio/workflow';
import { requiredPackages } from '../../plan/preflight.js';
import { call, changing } from '../activities.js';
import type { Runbook } from '../deployment.js';
import { eachHost, onHost, type Host } from '../hosts.js';

/** The target release staged in directories of its own, and how to remove the in-place copies. */
export interface Staging {
  /** In place, the staged install and build are moved into the working copy (no npm ci in the pause). */
  reuse: boolean;
  /** Each host's staged directory. */
  dirs: Map<Host, string>;
  /** Removes the in-place staged copies (once; a second call finds nothing to do). */
  unstage: () => Promise<void>;
}

/**
 * The target release in a directory of its own, with its own node_modules (no production
 * change): the release directory itself on every host, or, in place, a scratch copy on every
 * host, whose install and build install-dependencies moves into the working copy: no npm ci
 * while writes are paused. Histories recorded before staged in place only on the first host,
 * and only to rehearse, then installed again in the pause.
 */
export async function stageRelease(runbook: Runbook, rehearse: boolean): Promise<Staging> {
  const { deploymentId, request, hosts, first, release, releases, fixes, run, step } = runbook;
  const reuse = !request.dryRun && !releases && patched('stage-in-place-before-pause');
  const startedAt = new Date(workflowInfo().startTime).toISOString();
  const dirs = new Map<Host, string>();
  const stagedOn = releases || reuse ? hosts : rehearse || fixes.needsStaging ? [first] : [];
  await eachHost(stagedOn, first.target.rollout, async (host) => {
    const on = onHost(hosts, host);
    const input = {
      target: host.target,
      deploymentId,
      commit: release.target.commit,
      startedAt,
      requiredPackages: requiredPackages(host.target, release.target.manifest),
    };
    const staged = await step(
      host,
      'stage-release',
      {
        step: `Stage ${release.target.name} in its own directory (checkout, npm ci)${on}`,
        activity: `Stage ${release.target.name}${on}`,
      },
      changing.stageRelease,
      input,
      (stagedRelease) =>
        `${stagedRelease.dir} (${stagedRelease.install.installedBy ?? `${stagedRelease.install.packages} packages`})`,
    );
    dirs.set(host, staged.dir);
  });
  const unstaged = new Set<Host>();
  const unstage = async () => {
    if (releases) return;
    for (const host of hosts.filter((each) => dirs.has(each) && !unstaged.has(each))) {
      unstaged.add(host);
      const summary = `Remove the staged copy${reuse ? onHost(hosts, host) : ''}`;
      const input = { target: host.target, dir: dirs.get(host)! };
      await run.step(
        'remove-staging',
        summary,
        () => CancellationScope.nonCancellable(() => call(host, changing.removeStagedRelease, summary, input)),
        (removal) => (removal.removed ? 'removed' : 'already gone'),
      );
    }
  };
  if (reuse) runbook.leftovers.push(unstage);
  return { reuse, dirs, unstage };
}
