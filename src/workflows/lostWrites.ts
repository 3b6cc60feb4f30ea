import { CancellationScope } from '@temporalio/workflow';
import type { TargetConfig } from '../config/schema.js';
import {
  addChanged,
  describeWrites,
  foreignWrites,
  type OwnWindow,
  type PointLedger,
  type WriteCounters,
} from '../plan/lostWrites.js';
import type { DeploymentReport } from '../shared/report.js';
import { call, type changing } from './activities.js';
import type { Gates } from './gates.js';
import type { Host } from './hosts.js';
import type { RunState } from './runState.js';
import { Skipped } from './skipped.js';

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
export function ownWritesOf(c: {
  policy: 'stop' | 'detect';
  host: Host;
  target: TargetConfig;
  writes: Writes;
  proxy: typeof changing;
}) {
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (c.policy !== 'detect') return fn();
    const p = c.writes.points;
    if (p) {
      const before = await call(c.host, c.proxy.readWritePoint, 'Read a write point (writes by others so far)', {
        target: c.target,
        step: 'migrate',
        since: p.last,
      });
      addChanged(p.others, before.changed);
      p.last = before;
      try {
        return await fn();
      } finally {
        // What changed between `before` and this reading is ours: not added to others'.
        p.last = await CancellationScope.nonCancellable(() =>
          call(c.host, c.proxy.readWritePoint, 'Read a write point (after our own writes)', {
            target: c.target,
            step: 'verify',
            since: before,
          }),
        );
      }
    }
    const before = await call(c.host, c.proxy.countWrites, 'Read the write counters', {
      target: c.target,
      step: 'migrate',
    });
    try {
      return await fn();
    } finally {
      c.writes.own.push({
        before,
        after: await CancellationScope.nonCancellable(() =>
          call(c.host, c.proxy.countWrites, 'Read the write counters', { target: c.target, step: 'verify' }),
        ),
      });
    }
  };
}

interface LostWritesContext {
  run: RunState;
  gates: Gates;
  target: TargetConfig;
  /** The host that runs the database steps. */
  host: Host;
  /** The undos' activities (retried through outages). */
  proxy: typeof changing;
  writes: Writes;
  what: string;
  rollback: NonNullable<DeploymentReport['rollback']>;
  approvalTimeoutMs: number;
  /** Whether the rollback will restore the backup at all (a code-only rollback keeps every write). */
  restoring: () => boolean;
}

/**
 * Restoring a backup throws away every write made after it. Before the restore, the rollback
 * counts rows others wrote since then; if there are any, a person decides: approve = restore
 * anyway (the current database is kept aside, so they can be copied back), reject or no answer
 * = keep the database and roll back code and dependencies only.
 */
export function lostWritesUndo(c: LostWritesContext) {
  let lost: Record<string, number> = {};
  let uncertain: string | undefined;
  let keep: string | undefined;
  return {
    async count(): Promise<string | Skipped> {
      if (!c.restoring()) return new Skipped('a code-only rollback keeps the database: nothing to lose');
      const p = c.writes.points;
      if (p) {
        if (!p.last && !p.resuming) return new Skipped('writes were paused from before the backup: nothing to lose');
        if (p.last) {
          const now = await call(c.host, c.proxy.readWritePoint, 'Read what changed since the last write point', {
            target: c.target,
            step: 'check-lost-writes',
            since: p.last,
          });
          lost = addChanged({ ...p.others }, now.changed);
        }
        uncertain =
          p.uncertain ??
          p.last?.uncertain ??
          (p.last ? undefined : 'resume-writes may have let writes in before its write point was recorded');
        c.rollback.lostWrites = lost;
        const from = p.from ?? p.last?.at ?? 'writes resumed';
        return [
          Object.keys(lost).length
            ? `written since ${from}: ${describeWrites(lost)}`
            : `no writes by others since ${from}`,
          uncertain && `uncounted: ${uncertain}`,
        ]
          .filter(Boolean)
          .join('; ');
      }
      if (!c.writes.since) return new Skipped('writes were paused from before the backup: nothing to lose');
      const now = await call(c.host, c.proxy.countWrites, 'Count writes made since the backup', {
        target: c.target,
        step: 'check-lost-writes',
      });
      lost = foreignWrites(c.writes.since, now, c.writes.own);
      c.rollback.lostWrites = lost;
      return Object.keys(lost).length
        ? `written since ${c.writes.since.at}: ${describeWrites(lost)}`
        : `no writes by others since ${c.writes.since.at}`;
    },

    async ask(): Promise<string | Skipped> {
      if (Object.keys(lost).length === 0 && !uncertain) return new Skipped('no writes to lose');
      const counted = Object.keys(lost).length
        ? `rows written since it (${describeWrites(lost)})`
        : 'any rows written since it';
      const detail =
        `restoring the ${c.what} backup would throw away ${counted}${uncertain ? ` — and writes could not be counted exactly: ${uncertain}` : ''}. ` +
        'approve: restore anyway (the current database is kept aside, so the rows can be copied back by hand); ' +
        'reject: keep the database and roll back code and dependencies only';
      const answer = await c.gates.ask('lost-writes', detail, c.approvalTimeoutMs);
      if (answer.decision === 'approved') return `approved by ${answer.by}: ${answer.reason}`;
      keep =
        answer.decision === 'rejected'
          ? `${answer.by} rejected the restore: ${answer.reason}`
          : 'nobody approved the restore in time';
      return keep;
    },

    keepDatabase: () => keep !== undefined,
    why: () => keep ?? '',
  };
}
