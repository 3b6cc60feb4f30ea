import { EXIT, output, withClient, type GlobalOptions } from '../context.js';
import { originalNote, pausedNote } from './notes.js';

/**
 * Stops the schedule from starting deployments. The note says why, in front of the note the
 * schedule was created with (kept: unpause puts it back); list and describe show both.
 */
export async function runSchedulePause(g: GlobalOptions, scheduleId: string, o: { note?: string }): Promise<number> {
  const out = output(g.json);
  const note = o.note ?? `paused by ${process.env.USER ?? 'safe-deploy'}`;
  return withClient(g, async (client) => {
    const handle = client.schedule.getHandle(scheduleId);
    const original = originalNote(await handle.describe());
    const scheduleNote = pausedNote(note, original);
    await handle.pause(scheduleNote);
    out.line(`paused schedule ${scheduleId}: ${note}`);
    if (original) out.line(`  its note is kept: ${original}`);
    out.json({ scheduleId, paused: true, note, scheduleNote });
    return EXIT.ok;
  });
}
