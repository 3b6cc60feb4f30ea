import { ScheduleOverlapPolicy } from '@temporalio/client';
import { CliError, EXIT, output, withClient, type GlobalOptions } from '../context.js';

const WAIT_FOR_START_MS = 10_000;

/**
 * Runs the schedule's action now (the overlap policy still applies: SKIP while one of its
 * deployments runs), then reports the deployment it started. A paused schedule is a release
 * freeze: refused, with the pause note, unless `--force` (Temporal itself would run it).
 */
export async function runScheduleTrigger(
  g: GlobalOptions,
  scheduleId: string,
  o: { force?: boolean } = {},
): Promise<number> {
  const out = output(g.json);
  return withClient(g, async (client) => {
    const handle = client.schedule.getHandle(scheduleId);
    const { info: before, state } = await handle.describe();
    if (state.paused) {
      const why = state.note ? `: ${state.note}` : '';
      if (!o.force)
        throw new CliError(
          `schedule ${scheduleId} is paused${why}; nothing was started. To deploy anyway: safe-deploy ` +
            `schedule trigger ${scheduleId} --force`,
          EXIT.refused,
        );
      out.line(`schedule ${scheduleId} is paused${why}; triggered anyway (--force)`);
    }
    // The SDK's default for a trigger is ALLOW_ALL; a deployment never overlaps another.
    await handle.trigger(ScheduleOverlapPolicy.SKIP);
    const deadline = Date.now() + WAIT_FOR_START_MS;
    while (Date.now() < deadline) {
      const { info } = await handle.describe();
      if (info.numActionsTaken > before.numActionsTaken) {
        const workflowId = info.recentActions.at(-1)?.action.workflow.workflowId;
        out.line(`triggered schedule ${scheduleId}: started ${workflowId}`);
        out.line(`  follow it: safe-deploy status ${workflowId}`);
        out.json({ scheduleId, started: true, workflowId, ...(state.paused ? { forced: true } : {}) });
        return EXIT.ok;
      }
      if (info.numActionsSkippedOverlap > before.numActionsSkippedOverlap) {
        out.line(
          `triggered schedule ${scheduleId}: skipped, one of its deployments is still running (overlap policy SKIP)`,
        );
        out.json({ scheduleId, started: false, skipped: 'overlap' });
        return EXIT.refused;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    out.line(
      `triggered schedule ${scheduleId}; no start seen within ${WAIT_FOR_START_MS / 1000} s (see: ` +
        `safe-deploy schedule describe ${scheduleId})`,
    );
    out.json({ scheduleId, started: 'unknown' });
    return EXIT.ok;
  });
}
