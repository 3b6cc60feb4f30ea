import { EXIT, output, withClient, type GlobalOptions } from '../context.js';

/** Deletes the schedule; deployments it already started go on. */
export async function runScheduleDelete(g: GlobalOptions, scheduleId: string): Promise<number> {
  const out = output(g.json);
  return withClient(g, async (client) => {
    await client.schedule.getHandle(scheduleId).delete();
    out.line(`deleted schedule ${scheduleId} (deployments it started are not affected)`);
    out.json({ scheduleId, deleted: true });
    return EXIT.ok;
  });
}
