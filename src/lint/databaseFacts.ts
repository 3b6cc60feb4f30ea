import type { FindingSeverity, TableCost } from './types.js';

// What the live database tells the lint (issue 16.3): read from its catalog by readDatabaseFacts.ts
// into this plain object, which the rules consult. Nothing here does I/O: the rules stay pure and
// are tested with hand-written facts. Table keys are `schema.name`, as tableKey() in ast.ts builds
// them; function keys are lower case, `schema.name` and, for a function on the search path, `name`.

export type Volatility = 'immutable' | 'stable' | 'volatile';

export interface LiveTable {
  /**
   * The row estimate (pg_class.reltuples, partitions summed); 0 when
   * the table has no data page at all; null when never analyzed.
   */
  rows: number | null;
  /** The rows were counted (a small table never analyzed), not estimated. */
  rowsCounted?: boolean;
  /** pg_total_relation_size: the rows, TOAST and indexes (partitions summed). */
  bytes: number;
  /** pg_relation_size: the rows alone, what a scan or an index build reads. */
  heapBytes: number;
  /** Columns marked NOT NULL. */
  notNull: string[];
  /** Validated `CHECK (col IS NOT NULL)` constraints. */
  notNullChecks: { name: string; column: string }[];
  /** Names of the table's validated constraints. */
  validConstraints: string[];
}

export interface LiveIndex {
  /** Key of its table. */
  table: string;
  unique: boolean;
  /** False for the INVALID index a failed CREATE INDEX CONCURRENTLY leaves. */
  valid: boolean;
}

export interface DatabaseFacts {
  /** `server_version`, e.g. `15.4`. */
  serverVersion: string;
  serverMajor: number;
  /** The tables the migrations may name (every one whose name appears in their text). */
  tables: Record<string, LiveTable>;
  indexes: Record<string, LiveIndex>;
  /** The most volatile overload of each user function the migrations may call. */
  functions: Record<string, Volatility>;
}

/** When a lock-time finding counts as risky, and how fast a rewrite is assumed to go. */
export interface SizeThresholds {
  /** Risky above this many rows (estimate)… */
  riskyAboveRows: number;
  /** …or above this many bytes (the table with its indexes). */
  riskyAboveBytes: number;
  /** Rewrite and scan throughput for the lock-time estimate. */
  bytesPerSecond: number;
  /** `assumed` (the default) or `configured` (lint.mbPerSecond in the worker config). */
  throughput: 'assumed' | 'configured';
}

const MB = 1024 * 1024;

export const DEFAULT_SIZE_THRESHOLDS: SizeThresholds = {
  riskyAboveRows: 10_000,
  riskyAboveBytes: 10 * MB,
  bytesPerSecond: 50 * MB,
  throughput: 'assumed',
};

/** The facts of a table, if the catalog has it. */
export function liveTable(facts: DatabaseFacts | undefined, key: string): LiveTable | undefined {
  return facts && Object.hasOwn(facts.tables, key) ? facts.tables[key] : undefined;
}

export function liveIndex(facts: DatabaseFacts | undefined, key: string): LiveIndex | undefined {
  return facts && Object.hasOwn(facts.indexes, key) ? facts.indexes[key] : undefined;
}

/** How volatile pg_proc says a function is (`name` or `schema.name`, as written); undefined when unknown. */
export function functionVolatility(facts: DatabaseFacts | undefined, name: string): Volatility | undefined {
  const key = name.toLowerCase();
  return facts && Object.hasOwn(facts.functions, key) ? facts.functions[key] : undefined;
}

/** `1.2 GB`, `640 kB`, `0 bytes`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let n = bytes / 1024;
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit++;
  }
  return `${n >= 10 ? Math.round(n) : Math.round(n * 10) / 10} ${units[unit]}`;
}

function formatSeconds(seconds: number): string {
  if (seconds < 0.01) return 'under 0.01 s';
  if (seconds < 10) return `≈ ${Math.round(seconds * 100) / 100} s`;
  if (seconds < 600) return `≈ ${Math.round(seconds)} s`;
  return `≈ ${Math.round(seconds / 60)} min`;
}

const rowsText = (t: LiveTable) =>
  t.rows === null
    ? 'an unknown number of rows (never analyzed)'
    : t.rowsCounted
      ? `${t.rows.toLocaleString('en-US')} row${t.rows === 1 ? '' : 's'} (counted)`
      : `~${Math.round(t.rows).toLocaleString('en-US')} rows`;

const WORK: Record<TableCost['work'], string> = {
  rewrite: 'the rewrite',
  scan: 'the scan',
  index: 'the index build',
  rows: '',
};

/** The lock-time estimate: the bytes the work reads or writes over the throughput; says whether that is assumed. */
export function lockTimeEstimate(t: LiveTable, work: TableCost['work'], th: SizeThresholds): string | undefined {
  if (work === 'rows') return undefined;
  const bytes = work === 'rewrite' ? t.bytes : t.heapBytes;
  const at =
    `${formatBytes(bytes)} at ${th.throughput === 'assumed' ? 'an assumed' : 'a configured'} ` +
    `${formatBytes(th.bytesPerSecond)}/s`;
  const seconds = bytes / th.bytesPerSecond;
  const atLeast = work === 'index' && seconds >= 0.01 ? 'at least ' : ''; // sorting comes on top of reading
  return `${WORK[work]} takes ${atLeast}${formatSeconds(seconds)} under the lock (${at})`;
}

/** True when the table is over the threshold: by its row estimate (when it has one) or its size. */
export function isOverThreshold(t: LiveTable, th: SizeThresholds): boolean {
  return (t.rows !== null && t.rows > th.riskyAboveRows) || t.bytes > th.riskyAboveBytes;
}

/**
 * A finding on an existing table, weighed by the table's size: a lock-time finding on an empty or
 * small table (at or under the threshold) becomes a notice that says so; any other gets the size
 * and the lock-time estimate added. Unchanged when the catalog does not know the table.
 */
export function weighBySize(
  finding: { severity: FindingSeverity; message: string },
  cost: TableCost,
  facts: DatabaseFacts | undefined,
  th: SizeThresholds,
): { severity: FindingSeverity; message: string } {
  const t = liveTable(facts, cost.table);
  if (!t) return finding;
  const estimate = lockTimeEstimate(t, cost.work, th);
  const size =
    t.rows === 0
      ? `is empty (${formatBytes(t.bytes)} with its indexes)`
      : `holds ${rowsText(t)}, ${formatBytes(t.bytes)} with its indexes`;
  const small = !isOverThreshold(t, th);
  if (cost.onlyLockTime && small && finding.severity === 'risky') {
    const limit =
      `risky above lint.riskyAboveRows ${th.riskyAboveRows.toLocaleString('en-US')} rows or lint.riskyAboveMb ` +
      `${formatBytes(th.riskyAboveBytes)}`;
    return {
      severity: 'notice',
      message:
        `${finding.message}. Not risky here: ${cost.name} ${size} in the live database ` +
        `(${limit})${estimate ? `; ${estimate}` : ''}`,
    };
  }
  return {
    severity: finding.severity,
    message: `${finding.message}. ${cost.name} ${size} in the live database${estimate ? `: ${estimate}` : ''}`,
  };
}
