/** The write odometer: rows inserted + updated + deleted per table (pg_stat_user_tables). */
export interface WriteCounters {
  at: string;
  tables: Record<string, number>;
}

/** A stretch of time in which safe-deploy itself wrote (migration, its own checks). */
export interface OwnWindow {
  before: WriteCounters;
  after: WriteCounters;
}

/** Growth of each table between two readings; a reset counter (a table re-created) counts from zero. */
function growth(from: WriteCounters, to: WriteCounters): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [table, now] of Object.entries(to.tables)) {
    const then = from.tables[table] ?? 0;
    out[table] = now >= then ? now - then : now;
  }
  return out;
}

/**
 * Rows written since `since` by anyone but safe-deploy: the growth of every table that existed at
 * `since`, minus what grew during safe-deploy's own steps. Only tables with writes are listed.
 * Writes made by others during safe-deploy's own steps are attributed to safe-deploy (a known
 * blind spot of counting; the `stop` policy has none, since nobody else can write then).
 */
export function foreignWrites(since: WriteCounters, now: WriteCounters, own: OwnWindow[] = []): Record<string, number> {
  const total = growth(since, now);
  const ours: Record<string, number> = {};
  for (const w of own) for (const [t, n] of Object.entries(growth(w.before, w.after))) ours[t] = (ours[t] ?? 0) + n;
  const out: Record<string, number> = {};
  for (const table of Object.keys(since.tables)) {
    const n = (total[table] ?? 0) - (ours[table] ?? 0);
    if (n > 0) out[table] = n;
  }
  return out;
}

export const describeWrites = (w: Record<string, number>) =>
  Object.entries(w).map(([t, n]) => `${t}: ${n} row${n === 1 ? '' : 's'}`).join(', ');
