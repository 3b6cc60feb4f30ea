import { msToNumber } from '@temporalio/common/lib/time.js';
import { appCommand } from '../commands/app.js';
import type { TargetConfig } from '../config/schema.js';
import { FailureType } from '../shared/errors.js';
import type { StepName } from '../shared/steps.js';
import { commandEnvValues, resolveDatabase, runInActivity, type ActivityDeps } from './deps.js';
import { commandFailure } from './failures.js';
import { databaseOf, outageAware, outageWaitOf } from './outage.js';
import { withClient } from './pgClient.js';

/** Rows inserted + updated + deleted per table since the server's statistics began: a write odometer. */
export interface WriteCounters {
  at: string;
  tables: Record<string, number>;
}

/**
 * How long a reading that accounts for other people's writes waits first. A backend publishes its
 * counts when it goes idle, but at most once a second; what it holds back then is published only
 * after 10 s of idleness (PostgreSQL's PGSTAT_IDLE_INTERVAL). A user who writes a few rows and goes
 * quiet shows as one write for up to 10 s, so a shorter wait could miss the very writes a restore
 * would throw away.
 */
export const PUBLISHED_AFTER_MS = 11_000;

/** Reads the odometer after `settleMs`, so that writes that just finished show up first. */
export async function readWriteCounters(deps: ActivityDeps, t: TargetConfig, step: StepName, settleMs = 0): Promise<WriteCounters> {
  if (settleMs > 0) await new Promise((r) => setTimeout(r, settleMs));
  const { db } = resolveDatabase(deps, t, step);
  return withClient(db, async (c) => {
    const { rows } = await c.query<{ name: string; writes: string }>(
      `SELECT schemaname || '.' || relname AS name, (n_tup_ins + n_tup_upd + n_tup_del)::text AS writes FROM pg_stat_user_tables ORDER BY 1`,
    );
    return { at: new Date().toISOString(), tables: Object.fromEntries(rows.map((r) => [r.name, Number(r.writes)])) };
  });
}

export function createWriteActivities(deps: ActivityDeps) {
  const command = async (t: TargetConfig, argv: readonly string[], step: StepName, what: string) => {
    try {
      await runInActivity(appCommand(argv, { cwd: t.appDir, commandEnv: commandEnvValues(deps, t, step), timeoutMs: msToNumber(t.commandTimeouts.restart as never) }), what);
    } catch (e) {
      throw commandFailure(e, { step, type: FailureType.WritesControlFailed, what: `the ${what} command failed (${argv.join(' ')})`, remedy: `check the command in writes.${what} and run it by hand`, retryable: true });
    }
  };
  return {
    /**
     * Pauses the app's writes (policy `stop`): from here until verification, a restore loses nothing. Idempotent.
     * Under `detect` the counters are the baseline of other people's writes: every write made
     * before it must be published, or it would later pass for one made after the backup.
     */
    async stopWrites({ target: t, step }: { target: TargetConfig; step: StepName }): Promise<{ stopped: boolean; counters: WriteCounters }> {
      return outageAware(databaseOf(deps, t, step), step, async () => {
        if (t.writes.policy === 'stop') await command(t, t.writes.stop!, step, 'stop');
        // Under `stop` these counters are not used (nobody else writes until writes resume).
        return { stopped: t.writes.policy === 'stop', counters: await readWriteCounters(deps, t, step, t.writes.policy === 'stop' ? 0 : PUBLISHED_AFTER_MS) };
      }, { waitMs: outageWaitOf(t) });
    },

    /**
     * Lets the app write again. Idempotent. The workflow reads the odometer before (countWrites,
     * while writes are still paused): writes after that reading are other people's.
     */
    async resumeWrites({ target: t, step }: { target: TargetConfig; step: StepName }): Promise<{ resumed: boolean }> {
      if (t.writes.policy === 'stop') await command(t, t.writes.resume!, step, 'resume');
      return { resumed: t.writes.policy === 'stop' };
    },

    /** The odometer once every finished write is published (`settleMs`, default PUBLISHED_AFTER_MS). */
    async countWrites({ target: t, step, settleMs }: { target: TargetConfig; step: StepName; settleMs?: number }): Promise<WriteCounters> {
      return outageAware(databaseOf(deps, t, step), step, () => readWriteCounters(deps, t, step, settleMs ?? PUBLISHED_AFTER_MS), { waitMs: outageWaitOf(t) });
    },
  };
}
