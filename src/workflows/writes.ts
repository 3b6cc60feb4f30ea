import { CancellationScope } from '@temporalio/workflow';
import type { TargetConfig } from '../config/schema.js';
import { addChanged, type OwnWindow, type PointLedger, type WriteCounters } from '../plan/lostWrites.js';
import { call, type changing } from './activities.js';
import type { Host } from './hosts.js';

/**
 * What the workflow knows of other people's writes. Deployments started before write points
 * (their histories replay): `since`, the statistics' odometer, and safe-deploy's own writing
 * stretches. Since then: `points`, exact readings that never sleep.
 */
export interface Writes {
  /** Since when others may have written (undefined while writes are paused). */
  since?: WriteCounters;
  own: OwnWindow[];
  points?: PointLedger;
}

/** Whether anyone but safe-deploy may have written since the backup (writes not paused throughout). */
export const othersMayHaveWritten = (w: Writes) =>
  w.since !== undefined || w.points?.last !== undefined || w.points?.resuming === true;

/**
 * Runs one of safe-deploy's own writing steps; under `detect`, what changed during it is counted
 * as ours: a reading before (what changed since the previous point is other people's) and one
 * after (what changed in between is ours), as the odometer's deltas were.
 */
export function ownWritesOf(context: {
  policy: 'stop' | 'detect';
  host: Host;
  target: TargetConfig;
  writes: Writes;
  proxy: typeof changing;
}) {
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (context.policy !== 'detect') return fn();
    const points = context.writes.points;
    if (points) {
      const before = await call(
        context.host,
        context.proxy.readWritePoint,
        'Read a write point (writes by others so far)',
        {
          target: context.target,
          step: 'migrate',
          since: points.last,
        },
      );
      addChanged(points.others, before.changed);
      points.last = before;
      try {
        return await fn();
      } finally {
        // What changed between `before` and this reading is ours: not added to others'.
        points.last = await CancellationScope.nonCancellable(() =>
          call(context.host, context.proxy.readWritePoint, 'Read a write point (after our own writes)', {
            target: context.target,
            step: 'verify',
            since: before,
          }),
        );
      }
    }
    const before = await call(context.host, context.proxy.countWrites, 'Read the write counters', {
      target: context.target,
      step: 'migrate',
    });
    try {
      return await fn();
    } finally {
      context.writes.own.push({
        before,
        after: await CancellationScope.nonCancellable(() =>
          call(context.host, context.proxy.countWrites, 'Read the write counters', {
            target: context.target,
            step: 'verify',
          }),
        ),
      });
    }
  };
}
