// BROKEN ON PURPOSE (release v2-data-loss): a retention job that should delete chat messages older
// than 90 days, run by src/server.js at every start. The cutoff ADDS 90 days to now instead of
// subtracting them, so every message is "older than the cutoff" and the job deletes them all.
// It is application code, not a migration, so the migration lint never sees it; the deployment's
// data verification does (public.messages has fewer rows than before the deployment).

export const RETENTION_DAYS = 90;
const DAY_MS = 24 * 60 * 60 * 1000;

/** Deletes chat messages past the retention period; returns how many were deleted. */
export async function applyMessageRetention(prisma, now = new Date()) {
  const cutoff = new Date(now.getTime() + RETENTION_DAYS * DAY_MS); // the bug: should be `-`
  const { count } = await prisma.message.deleteMany({ where: { createdAt: { lt: cutoff } } });
  return count;
}
