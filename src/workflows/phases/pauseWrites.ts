import { patched } from '@temporalio/workflow';
import type { WriteCounters, WritePoint } from '../../plan/lostWrites.js';
import { call, changing } from '../activities.js';
import type { Runbook } from '../deployment.js';
import { onHost } from '../hosts.js';
import { ownWritesOf, type Writes } from '../writes.js';

/** The writes policy as the rest of the runbook needs it. */
export interface Pause {
  policy: 'stop' | 'detect';
  /** Exact write points (else the statistics' odometer of deployments started before them). */
  exact: boolean;
  writes: Writes;
  /** Runs one of safe-deploy's own writing steps; under `detect`, its writes are counted as ours. */
  ownWrites: ReturnType<typeof ownWritesOf>;
}

/**
 * Writes pause before the backup, so that a restore can lose nothing (policy `stop`: every
 * host's maintenance command); under `detect` the app keeps serving and one reading of the shared
 * database is the point from which others' writes are counted.
 */
export async function pauseWrites(runbook: Runbook): Promise<Pause> {
  const { hosts, first, target, what, run, undo, undoing } = runbook;
  const policy = target.writes.policy;
  for (const host of hosts) {
    const summary = `Resume ${what}'s writes${onHost(hosts, host)}`;
    const input = { target: host.target, step: 'resume-writes-after-rollback' } as const;
    const resume = () => call(host, undoing.resumeWrites, summary, input).then(() => 'writes resumed');
    undo.add('resume-writes-after-rollback', summary, resume, { changes: false });
  }
  // Write points (exact, no statistics' sleep); deployments started before them keep the odometer.
  const exact = patched('exact-write-points');
  let paused: { stopped: boolean; at?: string; counters?: WriteCounters; point?: WritePoint } | undefined;
  for (const host of hosts) {
    const on = onHost(hosts, host);
    const reading = exact ? 'a write point' : 'the write counters';
    const stopped = await runbook.step(
      host,
      'stop-writes',
      {
        step:
          policy === 'stop'
            ? `Pause ${what}'s writes (maintenance)${on}`
            : `Read ${reading} (policy detect: ${what} keeps serving)`,
        activity: `Pause ${what}'s writes${on}`,
      },
      changing.stopWrites,
      { target: host.target, step: 'stop-writes', ...(exact ? { exact } : {}) },
      (answer) =>
        answer.stopped
          ? 'writes paused'
          : answer.point
            ? `write point read in ${answer.point.readMs} ms`
            : 'counters read',
    );
    paused ??= stopped;
    if (policy === 'detect') break; // nothing to pause: one reading of the shared database is enough
  }
  const { stopped, at, counters, point } = paused!;
  run.report.writes = { policy, ...(stopped ? { stoppedAt: at ?? counters!.at } : {}) };
  const writes: Writes = exact
    ? { own: [], points: { others: {}, ...(policy === 'detect' ? { last: point, from: point!.at } : {}) } }
    : { since: policy === 'detect' ? counters : undefined, own: [] };
  const ownWrites = ownWritesOf({ policy, host: first, target, writes, proxy: changing });
  return { policy, exact, writes, ownWrites };
}
