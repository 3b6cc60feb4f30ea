import { ApplicationFailure } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { ResolvedRelease } from '../shared/releaseFacts.js';
import type { TargetConfig } from '../config/schema.js';
import { FailureType } from '../shared/errors.js';
import type { quick } from './activities.js';

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

type Name = Exclude<keyof Activities, symbol>;

/** Calls an activity on `host`'s worker, with a human summary the Web UI shows on the event. */
export function callOn<K extends Name>(
  host: Host,
  proxy: typeof quick,
  name: K,
  summary: string,
  ...args: Parameters<Activities[K]>
): Promise<Awaited<ReturnType<Activities[K]>>> {
  const fn = proxy[name] as unknown as {
    executeWithOptions(
      o: { summary: string; taskQueue?: string },
      a: unknown[],
    ): Promise<Awaited<ReturnType<Activities[K]>>>;
  };
  return fn.executeWithOptions({ summary, ...(host.taskQueue ? { taskQueue: host.taskQueue } : {}) }, args);
}

/** " on web-1" when there are several hosts; nothing for one. */
export const onHost = (hosts: readonly Host[], h: Host) => (hosts.length > 1 ? ` on ${h.name}` : '');

/** Runs `fn` for every host: one after the other (stopping at the first failure), or all at once. */
export async function eachHost(
  hosts: readonly Host[],
  rollout: TargetConfig['rollout'],
  fn: (h: Host) => Promise<void>,
): Promise<void> {
  if (rollout === 'parallel') {
    const results = await Promise.allSettled(hosts.map(fn));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  } else {
    for (const h of hosts) await fn(h);
  }
}

/** Every host must deploy the same commit: a host whose remote says otherwise stops the deployment. */
export function sameTarget(hosts: readonly Host[]): void {
  const first = hosts[0]!.release!.target.commit;
  const odd = hosts.filter((h) => h.release!.target.commit !== first);
  if (odd.length) {
    throw ApplicationFailure.create({
      type: FailureType.InvalidConfig,
      nonRetryable: true,
      message: `[resolve-release] the ref resolves to another commit on ${odd.map((h) => `${h.name} (${h.release!.target.commit.slice(0, 12)})`).join(', ')} than on ${hosts[0]!.name} (${first.slice(0, 12)}). Remedy: point every host at the same remote; nothing was changed`,
    });
  }
}
