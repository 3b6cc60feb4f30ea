import type { TargetConfig } from '../config/schema.js';
import { describeWrites, foreignWrites, type OwnWindow, type WriteCounters } from '../plan/lostWrites.js';
import type { DeploymentReport } from '../shared/report.js';
import type { changing } from './activities.js';
import type { Gates } from './gates.js';
import { callOn, type Host } from './hosts.js';
import { Skipped, type RunState } from './runState.js';

interface LostWritesContext {
  run: RunState;
  gates: Gates;
  target: TargetConfig;
  /** The host that runs the database steps. */
  host: Host;
  /** The undos' activities (retried through outages). */
  proxy: typeof changing;
  /** Since when others may have written (undefined while writes are paused), and safe-deploy's own writing stretches. */
  writes: { since?: WriteCounters; own: OwnWindow[] };
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
  let keep: string | undefined;
  return {
    async count(): Promise<string | Skipped> {
      if (!c.restoring()) return new Skipped('a code-only rollback keeps the database: nothing to lose');
      if (!c.writes.since) return new Skipped('writes were paused from before the backup: nothing to lose');
      const now = await callOn(c.host, c.proxy, 'countWrites', 'Count writes made since the backup', { target: c.target, step: 'check-lost-writes' });
      lost = foreignWrites(c.writes.since, now, c.writes.own);
      c.rollback.lostWrites = lost;
      return Object.keys(lost).length ? `written since ${c.writes.since.at}: ${describeWrites(lost)}` : `no writes by others since ${c.writes.since.at}`;
    },

    async ask(): Promise<string | Skipped> {
      if (Object.keys(lost).length === 0) return new Skipped('no writes to lose');
      const detail = `restoring the ${c.what} backup would throw away rows written since it (${describeWrites(lost)}). ` +
        'approve: restore anyway (the current database is kept aside, so the rows can be copied back by hand); ' +
        'reject: keep the database and roll back code and dependencies only';
      const answer = await c.gates.ask('lost-writes', detail, c.approvalTimeoutMs);
      if (answer.decision === 'approved') return `approved by ${answer.by}: ${answer.reason}`;
      keep = answer.decision === 'rejected' ? `${answer.by} rejected the restore: ${answer.reason}` : 'nobody approved the restore in time';
      return keep;
    },

    keepDatabase: () => keep !== undefined,
    why: () => keep ?? '',
  };
}
