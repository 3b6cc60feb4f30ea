import { EXIT, output, withClient, type GlobalOptions } from '../context.js';

export async function runScheduleUnpause(g: GlobalOptions, scheduleId: string, o: { note?: string }): Promise<number> {
  const out = output(g.json);
  const note = o.note ?? `unpaused by ${process.env.USER ?? 'safe-deploy'}`;
  return withClient(g, async (client) => {
    await client.schedule.getHandle(scheduleId).unpause(note);
    out.line(`unpaused schedule ${scheduleId}: ${note}`);
    out.json({ scheduleId, paused: false, note });
    return EXIT.ok;
  });
}
