import { WORKFLOW_TYPE } from '../../shared/constants.js';
import { EXIT, output, withClient, type GlobalOptions } from '../context.js';
import { listedSchedule, renderScheduleList, type ListedSchedule } from './render.js';

/** The namespace's schedules whose action starts a safe deployment (listing is eventually consistent). */
export async function runScheduleList(g: GlobalOptions): Promise<number> {
  const out = output(g.json);
  return withClient(g, async (client) => {
    const rows: ListedSchedule[] = [];
    for await (const s of client.schedule.list()) {
      if (s.action?.workflowType === WORKFLOW_TYPE) rows.push(listedSchedule(s));
    }
    out.line(renderScheduleList(rows));
    out.json({ schedules: rows });
    return EXIT.ok;
  });
}
