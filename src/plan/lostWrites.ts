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
  Object.entries(w)
    .map(([t, n]) => `${t}: ${n} row${n === 1 ? '' : 's'}`)
    .join(', ');

/**
 * A write point: what one REPEATABLE READ snapshot of the database saw — the snapshot itself
 * (`pg_current_snapshot()`, as text `xmin:xmax:xip,…`) and every user table's rows in it. Read
 * later, in another snapshot, "changed since P" is exact and needs no statistics and no sleep:
 * per table, the row versions P could not see (inserted or updated since, or by a transaction
 * still in progress at P that committed later) plus P's rows that are gone (P's rows − (rows now −
 * new)). Any committed write since P shows, except one whose effect is undone before the reading
 * (a row inserted then deleted): then the state equals P's for that row and nothing can be lost.
 */
export interface WritePoint {
  at: string;
  snapshot: string;
  rows: Record<string, number>;
  /**
   * Rows changed since the point this reading was asked about (new row versions + rows gone; an
   * update counts both), only tables with changes. Absent for a first reading.
   */
  changed?: Record<string, number>;
  /** Why this point may be later than it should be (writes may have resumed before it was read). */
  uncertain?: string;
  /** Time spent sleeping before the reading: none (the statistics' odometer slept 11 s). */
  sleptMs: number;
  /** Time the reading took (one scan of every table when counting changes). */
  readMs: number;
}

/** Other people's writes, read at write points: summed over every stretch that was not safe-deploy's own. */
export interface PointLedger {
  /** The latest point read: the next reading counts changes since it. Undefined while writes are paused. */
  last?: WritePoint;
  /** Since when others may have written (the first point's time). */
  from?: string;
  others: Record<string, number>;
  /** Set while the resume reading runs: writes may be let in before its point is recorded. */
  resuming?: boolean;
  /** Why the count may miss writes (a point read after writes may have resumed). */
  uncertain?: string;
}

/** Adds `changed` into `into` (rows per table), only positive counts. */
export function addChanged(
  into: Record<string, number>,
  changed: Record<string, number> | undefined,
): Record<string, number> {
  for (const [t, n] of Object.entries(changed ?? {})) if (n > 0) into[t] = (into[t] ?? 0) + n;
  return into;
}

/** The xids of a `pg_snapshot` text, each taken modulo 2^32 as PostgreSQL's 32-bit xmin is. */
export function snapshotXids(snapshot: string): { xmin: string; xmax: string; xip: string[] } {
  const [xmin, xmax, xip] = snapshot.split(':');
  if (xmin === undefined || xmax === undefined || !/^\d+$/.test(xmin) || !/^\d+$/.test(xmax))
    throw new Error(`not a pg_snapshot: ${snapshot}`);
  const low = (x: string) => (BigInt(x) % 4294967296n).toString();
  return {
    xmin: low(xmin),
    xmax: low(xmax),
    xip: xip
      ? xip
          .split(',')
          .filter((x) => x !== '')
          .map(low)
      : [],
  };
}

/**
 * Per table: rows changed between a point (its `rows`) and a later reading (`rows` now, `fresh`:
 * row versions the point could not see). A table gone counts its rows; a table created since
 * counts its rows (all fresh).
 */
export function changedSince(
  point: Record<string, number>,
  now: Record<string, number>,
  fresh: Record<string, number>,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const table of new Set([...Object.keys(point), ...Object.keys(now)])) {
    const n = fresh[table] ?? 0;
    const gone = Math.max(0, (point[table] ?? 0) - ((now[table] ?? 0) - n));
    if (n + gone > 0) out[table] = n + gone;
  }
  return out;
}
