import { msToNumber, type Duration } from '@temporalio/common';

/**
 * A duration as configs, requests and people write it: milliseconds, or a string such as '90 seconds'
 * or '1h' (the `ms` format Temporal's own options take). The one duration type; nothing else reads one.
 */
export type { Duration };

/** Milliseconds of a duration the config schema accepted (`isDuration`). */
export const durationMs = (d: Duration): number => msToNumber(d);

/** Milliseconds of what a person typed ('90 seconds', '1h', 1500), or undefined when it is no duration. */
export function readDurationMs(d: string | number): number | undefined {
  if (typeof d === 'number') return Number.isFinite(d) ? d : undefined;
  try {
    // `ms` reads the string and throws on one it cannot; its template-literal type cannot be checked before.
    return msToNumber(d as Duration);
  } catch {
    return undefined;
  }
}

/** A positive whole number of milliseconds, or a string that reads as a positive duration. */
export const isDuration = (d: unknown): d is Duration =>
  typeof d === 'number' ? Number.isInteger(d) && d > 0 : typeof d === 'string' && (readDurationMs(d) ?? 0) > 0;
