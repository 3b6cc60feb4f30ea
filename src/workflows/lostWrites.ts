import type { TargetConfig } from '../config/schema.js';
import { addChanged, describeWrites, foreignWrites } from '../plan/lostWrites.js';
import type { DeploymentReport } from '../shared/report.js';
import { call, type changing } from './activities.js';
import type { Gates } from './gates.js';
import type { Host } from './hosts.js';
import type { RunState } from './runState.js';
import { Skipped } from './skipped.js';
import type { Writes } from './writes.js';

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
export function lostWritesUndo(context: LostWritesContext) {
  let lost: Record<string, number> = {};
  let uncertain: string | undefined;
  let keep: string | undefined;
  return {
    async count(): Promise<string | Skipped> {
      if (!context.restoring()) return new Skipped('a code-only rollback keeps the database: nothing to lose');
      const points = context.writes.points;
      if (points) {
        if (!points.last && !points.resuming)
          return new Skipped('writes were paused from before the backup: nothing to lose');
        if (points.last) {
          const now = await call(
            context.host,
            context.proxy.readWritePoint,
            'Read what changed since the last write point',
            {
              target: context.target,
              step: 'check-lost-writes',
              since: points.last,
            },
          );
          lost = addChanged({ ...points.others }, now.changed);
        }
        uncertain =
          points.uncertain ??
          points.last?.uncertain ??
          (points.last ? undefined : 'resume-writes may have let writes in before its write point was recorded');
        context.rollback.lostWrites = lost;
        const from = points.from ?? points.last?.at ?? 'writes resumed';
        return [
          Object.keys(lost).length
            ? `written since ${from}: ${describeWrites(lost)}`
            : `no writes by others since ${from}`,
          uncertain && `uncounted: ${uncertain}`,
        ]
          .filter(Boolean)
          .join('; ');
      }
      if (!context.writes.since) return new Skipped('writes were paused from before the backup: nothing to lose');
      const now = await call(context.host, context.proxy.countWrites, 'Count writes made since the backup', {
        target: context.target,
        step: 'check-lost-writes',
      });
      lost = foreignWrites(context.writes.since, now, context.writes.own);
      context.rollback.lostWrites = lost;
      return Object.keys(lost).length
        ? `written since ${context.writes.since.at}: ${describeWrites(lost)}`
        : `no writes by others since ${context.writes.since.at}`;
    },

    async ask(): Promise<string | Skipped> {
      if (Object.keys(lost).length === 0 && !uncertain) return new Skipped('no writes to lose');
      const counted = Object.keys(lost).length
        ? `rows written since it (${describeWrites(lost)})`
        : 'any rows written since it';
      const inexact = uncertain ? ` — and writes could not be counted exactly: ${uncertain}` : '';
      const detail =
        `restoring the ${context.what} backup would throw away ${counted}${inexact}. ` +
        'approve: restore anyway (the current database is kept aside, so the rows can be copied back by hand); ' +
        'reject: keep the database and roll back code and dependencies only';
      const answer = await context.gates.ask('lost-writes', detail, context.approvalTimeoutMs);
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
