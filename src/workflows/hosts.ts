import { ApplicationFailure } from '@temporalio/workflow';
import type { ResolvedRelease } from '../shared/releaseFacts.js';
import type { TargetConfig } from '../config/schema.js';
import { FailureType } from '../shared/errors.js';

/**
 * One machine the app runs on: its worker's task queue (undefined: the workflow's own) and its
 * own configuration of the app+environment. The first host also runs the database steps.
 */
export interface Host {
  name: string;
  taskQueue?: string;
  target: TargetConfig;
  /** What resolveRelease found on this host: its live release and the target. */
  release?: ResolvedRelease;
}

/** " on web-1" when there are several hosts; nothing for one. */
export const onHost = (hosts: readonly Host[], host: Host) => (hosts.length > 1 ? ` on ${host.name}` : '');

/** Runs `fn` for every host: one after the other (stopping at the first failure), or all at once. */
export async function eachHost(
  hosts: readonly Host[],
  rollout: TargetConfig['rollout'],
  fn: (host: Host) => Promise<void>,
): Promise<void> {
  if (rollout === 'parallel') {
    const results = await Promise.allSettled(hosts.map(fn));
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
  } else {
    for (const host of hosts) await fn(host);
  }
}

/** Every host must deploy the same commit: a host whose remote says otherwise stops the deployment. */
export function sameTarget(hosts: readonly Host[]): void {
  const first = hosts[0]!.release!.target.commit;
  const odd = hosts.filter((host) => host.release!.target.commit !== first);
  if (odd.length) {
    const others = odd.map((host) => `${host.name} (${host.release!.target.commit.slice(0, 12)})`).join(', ');
    throw ApplicationFailure.create({
      type: FailureType.InvalidConfig,
      nonRetryable: true,
      message:
        `[resolve-release] the ref resolves to another commit on ${others} than on ${hosts[0]!.name} ` +
        `(${first.slice(0, 12)}). Remedy: point every host at the same remote; nothing was changed`,
    });
  }
}
