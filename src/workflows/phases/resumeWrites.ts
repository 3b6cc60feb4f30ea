import { call, changing } from '../activities.js';
import type { Runbook } from '../deployment.js';
import { onHost, type Host } from '../hosts.js';
import type { Pause } from './pauseWrites.js';

/**
 * Writes resume once every host is verified (policy `stop`). From here people write again: a
 * rollback first pauses them again, then counts what it would lose.
 */
export async function resumeWrites(runbook: Runbook, pause: Pause): Promise<void> {
  const { hosts, what, undo, undoing, run } = runbook;
  if (pause.policy !== 'stop') return;
  for (const host of hosts) {
    const summary = `Pause ${what}'s writes again${onHost(hosts, host)}`;
    const input = {
      target: host.target,
      step: 'stop-writes-again',
      ...(pause.exact ? { exact: pause.exact } : {}),
    } as const;
    const pauseAgain = () => call(host, undoing.stopWrites, summary, input).then(() => 'writes paused');
    undo.add('stop-writes-again', summary, pauseAgain, { changes: false });
  }
  for (const host of hosts) {
    await run.step(
      'resume-writes',
      `Resume ${what}'s writes${onHost(hosts, host)}`,
      () => resumeOn(runbook, pause, host),
      () => 'writes resumed',
    );
  }
}

/** One host's resume; the first also marks where others' writes start (a write point, or the odometer). */
async function resumeOn(runbook: Runbook, pause: Pause, host: Host) {
  const { hosts, first, target, what, run } = runbook;
  const on = onHost(hosts, host);
  const points = pause.writes.points;
  if (points && !points.last && host === first) {
    // The first host's resume takes the write point: its snapshot while every host still
    // pauses, then the resume command, then the counts in that snapshot (no sleep).
    points.resuming = true;
    const summary = `Resume ${what}'s writes, reading the write point first${on}`;
    const resumed = await call(host, changing.resumeWrites, summary, {
      target: host.target,
      step: 'resume-writes',
      readPoint: true,
    });
    if (!resumed.point)
      points.uncertain ??=
        'the worker that resumed writes read no write point (a safe-deploy worker older than write points?)';
    else {
      points.last = resumed.point;
      points.from = resumed.point.at;
      points.uncertain ??= resumed.point.uncertain;
      run.report.writes!.resumedAt ??= resumed.point.at;
    }
    return resumed;
  }
  const resume = () =>
    call(host, changing.resumeWrites, `Resume ${what}'s writes${on}`, { target: host.target, step: 'resume-writes' });
  if (points) return resume();
  // Read while every host still pauses, before any door opens (even if opening fails
  // half-way or is retried): writes after this reading are other people's.
  const counters = { target, step: 'resume-writes' } as const;
  pause.writes.since ??= await call(
    first,
    changing.countWrites,
    'Read the write counters while writes are paused',
    counters,
  );
  run.report.writes!.resumedAt ??= pause.writes.since.at;
  return resume();
}
