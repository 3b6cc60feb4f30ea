import { requiredPackages } from '../../plan/preflight.js';
import { call, changing } from '../activities.js';
import type { Runbook } from '../deployment.js';
import { eachHost, onHost } from '../hosts.js';
import { Skipped } from '../skipped.js';
import type { Staging } from './stage.js';

/** `moved in from the staged copy (53 packages)`, `53 packages (already installed)`, or why it was not moved in. */
const installSummary = (install: { packages: number; skipped: boolean; source?: 'staged' | 'kept'; note?: string }) =>
  install.source === 'staged'
    ? `moved in from the staged copy, not installed again (${install.packages} packages)`
    : install.source === 'kept'
      ? `moved back from the kept copy, not installed again (${install.packages} packages)`
      : `${install.packages} packages${install.skipped ? ' (already installed)' : ''}` +
        `${install.note ? `; ${install.note}` : ''}`;

/**
 * The target's code and dependencies on every host (in place: the staged install moved in;
 * releases: `current` pointed at the staged release directory), each host's undos registered
 * before its steps: code goes back before its dependencies, as npm ci must read the previous lockfile.
 */
export async function activateRelease(runbook: Runbook, staging: Staging): Promise<void> {
  const { deploymentId, hosts, release, releases, undo, undoing, step, run } = runbook;
  const { reuse, dirs } = staging;
  const next = release.target;
  await eachHost(hosts, runbook.target.rollout, async (host) => {
    const on = onHost(hosts, host);
    const previous = host.release!.current;
    const previousDir = previous.dir ?? host.target.appDir;
    const reinstall = `Reinstall ${previous.name}'s dependencies${on}`;
    undo.add('reinstall-dependencies', reinstall, async () =>
      releases
        ? new Skipped(`${previous.name}'s release directory kept its own node_modules`)
        : call(host, undoing.installDependencies, reinstall, {
            target: host.target,
            commit: previous.commit,
            requiredPackages: requiredPackages(host.target, previous.manifest),
            step: 'reinstall-dependencies',
            ...(reuse ? { restoreKept: { deploymentId } } : {}),
          }).then(installSummary),
    );
    const putBack = { target: host.target, commit: previous.commit, dir: previousDir, undoing: next.commit };
    undo.add(
      'reactivate-release',
      `${releases ? `Point current back at ${previous.name}` : `Check out ${previous.name} again`}${on}`,
      () =>
        call(host, undoing.activateRelease, `Put ${previous.name} back${on}`, putBack).then((reactivated) =>
          releases ? `current → ${previousDir}` : `at ${reactivated.commit.slice(0, 12)}`,
        ),
    );
    await step(
      host,
      'activate-release',
      {
        step: `${releases ? `Point current at ${next.name}` : `Check out ${next.name}`}${on}`,
        activity: `Activate ${next.name}${on}`,
      },
      changing.activateRelease,
      { target: host.target, commit: next.commit, dir: dirs.get(host) },
      () =>
        releases ? `current → ${dirs.get(host)}` : `${previous.commit.slice(0, 12)} → ${next.commit.slice(0, 12)}`,
    );
    const installing = reuse
      ? `Move ${next.name}'s staged dependencies and build in${on}`
      : `Install ${next.name}'s dependencies (npm ci)${on}`;
    await run.step(
      'install-dependencies',
      installing,
      async () =>
        releases
          ? new Skipped('installed in the release directory while staging')
          : call(host, changing.installDependencies, installing, {
              target: host.target,
              commit: next.commit,
              requiredPackages: requiredPackages(host.target, next.manifest),
              step: 'install-dependencies',
              ...(reuse ? { fromStaged: { dir: dirs.get(host)!, deploymentId } } : {}),
            }),
      installSummary,
    );
  });
}
