import { EXIT, output, withClient, type GlobalOptions } from '../context.js';
import { originalNote } from './notes.js';

/** Lets a paused schedule start deployments again; its note goes back to the one it was created with. */
export async function runScheduleUnpause(g: GlobalOptions, scheduleId: string, o: { note?: string }): Promise<number> {
  const out = output(g.json);
  const note = o.note ?? `unpaused by ${process.env.USER ?? 'safe-deploy'}`;
  return withClient(g, async (client) => {
    const handle = client.schedule.getHandle(scheduleId);
    const original = originalNote(await handle.describe());
    // Temporal keeps one note: without a created one to restore, the unpause note stands.
    const scheduleNote = original ?? note;
    await handle.unpause(scheduleNote);
    out.line(`unpaused schedule ${scheduleId}: ${note}`);
    if (original) out.line(`  its note is back: ${original}`);
    out.json({ scheduleId, paused: false, note, scheduleNote });
    return EXIT.ok;
  });
}
