import { EXIT, output, withClient, type GlobalOptions } from '../context.js';
import { renderScheduleDescription } from './render.js';

export async function runScheduleDescribe(g: GlobalOptions, scheduleId: string): Promise<number> {
  const out = output(g.json);
  return withClient(g, async (client) => {
    const description = await client.schedule.getHandle(scheduleId).describe();
    out.line(renderScheduleDescription(description));
    const { raw: _raw, ...json } = description;
    out.json(json);
    return EXIT.ok;
  });
}
