import { changing, quick } from '../activities.js';
import type { Runbook } from '../deployment.js';
import { onHost } from '../hosts.js';
import type { Staging } from './stage.js';

/**
 * After the monitoring window, what a rollback no longer needs: in place, the previous release's
 * dependencies kept beside the working copy; releases, the old release directories.
 */
export async function prune(runbook: Runbook, staging: Staging): Promise<void> {
  const { deploymentId, hosts, releases, step } = runbook;
  if (staging.reuse) {
    for (const host of hosts) {
      const summary = `Remove ${host.release!.current.name}'s dependencies kept for a rollback${onHost(hosts, host)}`;
      const input = { target: host.target, deploymentId };
      await step(host, 'prune', summary, changing.removeKeptDependencies, input, (removal) =>
        removal.removed ? 'removed' : 'none kept',
      );
    }
  }
  if (releases) {
    for (const host of hosts) {
      const input = { target: host.target, protect: [host.release!.current.dir ?? ''] };
      await step(
        host,
        'prune',
        { step: `Remove old release directories${onHost(hosts, host)}`, activity: 'Remove old release directories' },
        quick.pruneReleases,
        input,
        (pruned) => `removed ${pruned.removed.length}`,
      );
    }
  }
}
