import type { DeployRequest } from '../../config/schema.js';
import { deploySummary } from '../start.js';

/**
 * A schedule's note (Temporal keeps one string per schedule) across pause and unpause: a pause
 * note goes in front of the note the schedule was created with, and unpausing puts that one back.
 * The original is read from what `schedule create` stored (its memo and action), so pausing twice
 * does not pile up notes. Pure.
 */

const PAUSE_SEPARATOR = ' — note: ';

/** The note a schedule gets at create: the --note, else what it deploys and when. */
export const createdNote = (
  request: Pick<DeployRequest, 'app' | 'environment' | 'ref' | 'dryRun'>,
  when: string,
  note?: string,
): string => note ?? `${deploySummary(request)} ${when}`;

/** What a description carries that the original note is read from. */
export interface NotedSchedule {
  memo?: Record<string, unknown>;
  action: { args?: readonly unknown[] };
  state: { note?: string };
}

/** The note the schedule was created with. */
export function originalNote(s: NotedSchedule): string | undefined {
  const memo = s.memo ?? {};
  const request = s.action.args?.[0] as DeployRequest | undefined;
  if (typeof memo.when === 'string' && request && typeof request.app === 'string')
    return createdNote(request, memo.when, typeof memo.note === 'string' ? memo.note : undefined);
  // Not created by safe-deploy: the note as it stands, less a pause note put in front of it.
  const note = s.state.note;
  const at = note?.lastIndexOf(PAUSE_SEPARATOR) ?? -1;
  return note && at >= 0 ? note.slice(at + PAUSE_SEPARATOR.length) : note || undefined;
}

/** "release freeze — note: Satshot release". */
export const pausedNote = (pauseNote: string, original: string | undefined): string =>
  original ? `${pauseNote}${PAUSE_SEPARATOR}${original}` : pauseNote;
