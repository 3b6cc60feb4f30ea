/**
 * One line for an error: Prisma messages span several lines with the useful part last.
 * Only the message, never request bodies or the environment, so no secret ends up in a log.
 */
export function briefError(err) {
  const lines = String(err?.message ?? err).trim().split('\n').filter((l) => l.trim());
  return [err?.code, lines.at(-1)].filter(Boolean).join(' ');
}
