import { EXIT, output, withClient, type GlobalOptions } from '../context.js';

/** Stops the schedule from starting deployments; the note says why (shown by list and describe). */
export async function runSchedulePause(g: GlobalOptions, scheduleId: string, o: { note?: string }): Promise<number> {
  const out = output(g.json);
  const note = o.note ?? `paused by ${process.env.USER ?? 'safe-deploy'}`;
  return withClient(g, async (client) => {
    await client.schedule.getHandle(scheduleId).pause(note);
    out.line(`paused schedule ${scheduleId}: ${note}`);
    out.json({ scheduleId, paused: true, note });
    return EXIT.ok;
  });
}
