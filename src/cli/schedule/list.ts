import { WORKFLOW_TYPE } from '../../shared/constants.js';
import { EXIT, output, withClient, type GlobalOptions } from '../context.js';
import { lastRunOf } from './lastRun.js';
import { listedSchedule, renderScheduleList, type ListedSchedule } from './render.js';

/**
 * The namespace's schedules whose action starts a safe deployment (listing is eventually
 * consistent), each with how its last run went (read from the schedule and that workflow).
 */
export async function runScheduleList(g: GlobalOptions): Promise<number> {
  const out = output(g.json);
  return withClient(g, async (client) => {
    const pending: Promise<ListedSchedule>[] = [];
    for await (const s of client.schedule.list()) {
      if (s.action?.workflowType !== WORKFLOW_TYPE) continue;
      // The schedule's own description: its recent actions are current, the list's may lag.
      pending.push(
        client.schedule
          .getHandle(s.scheduleId)
          .describe()
          .then(
            (d) => lastRunOf(client, d.info.recentActions.at(-1)),
            () => undefined,
          )
          .then((lastRun) => listedSchedule(s, lastRun)),
      );
    }
    const rows = await Promise.all(pending);
    out.line(renderScheduleList(rows));
    out.json({ schedules: rows });
    return EXIT.ok;
  });
}
