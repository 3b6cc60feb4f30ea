/**
 * The rows verifications leave behind: the config's checks register a smoke user and post one
 * message, named after the check run's `{{runId}}`. A case's end state must hold exactly those.
 */
import { smokeRunId } from '../../src/activities/app.js';
import { fillTemplate } from '../../src/activities/http.js';
import { FARM_CHAT_CHECKS } from '../lib/farmChatConfig.js';

/** Rows a verification registers: its smoke user (by email) and that user's message (by body). */
export interface SmokeRows {
  emails: string[];
  bodies: string[];
}

/** The email and message body the config's checks register for one `{{runId}}` value. */
function smokeRowOf(templateId: string): { email: string; body: string } {
  const filled = fillTemplate(FARM_CHAT_CHECKS, { runId: templateId });
  return {
    email: String((filled.find((x) => x.name === 'registration')?.body as { email: string }).email),
    body: String((filled.find((x) => x.name === 'chat-post')?.body as { body: string }).body),
  };
}

export interface SmokeRun {
  label: string;
  email: string;
  body: string;
  required: boolean;
}

/**
 * The smoke rows a case may leave: each attempt of the given verification runs (the last
 * attempt's must be there: it passed; a killed earlier attempt's only if it got as far as
 * registering), and the rows this check's own earlier HTTP checks registered (a recheck).
 */
export function expectedSmokeRuns(
  verifications: Map<string, number>,
  runIds: string[],
  ownCheckIds: string[],
): SmokeRun[] {
  const runs: SmokeRun[] = [];
  for (const runId of runIds) {
    const last = verifications.get(runId) ?? 0;
    for (let attempt = 1; attempt <= last; attempt++)
      runs.push({
        label: `${runId} attempt ${attempt}`,
        required: attempt === last,
        ...smokeRowOf(smokeRunId(runId, attempt)),
      });
  }
  for (const id of ownCheckIds) runs.push({ label: `the end-state check ${id}`, required: true, ...smokeRowOf(id) });
  return runs;
}

export function smokeProblems(
  found: { users: string[]; messages: number; messagesWithOtherBodies: number },
  runs: SmokeRun[],
): string[] {
  const problems = runs
    .filter((r) => r.required && !found.users.includes(r.email))
    .map((r) => `data: the smoke user of ${r.label} is missing`);
  // Each verification that passed posted its message; a killed earlier attempt may have registered
  // its user and been killed before posting (verify's HTTP checks run beside its file checks, so a
  // kill can land between the two requests) — never a message without its user, never two.
  const passed = runs.filter((r) => r.required).length;
  if (found.messages > found.users.length || found.messages < passed)
    problems.push(
      `data: ${found.users.length} smoke users but ${found.messages} smoke messages (${passed} verifications passed)`,
    );
  if (found.messagesWithOtherBodies > 0)
    problems.push(`data: ${found.messagesWithOtherBodies} unexpected messages by smoke users`);
  return problems;
}
