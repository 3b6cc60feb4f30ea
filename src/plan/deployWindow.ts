import type { DeployWindow } from '../config/schema.js';
import { describeDays, parseWhen, WEEKDAYS, zonedTime, type Weekday } from '../shared/calendar.js';

/**
 * Low-traffic windows, as pure functions of a time: the workflow calls them with its own
 * (replay-safe, time-skippable) clock. Time zones come from the runtime's Intl data.
 *
 * On the days the clocks change, a window opens the first time the local clock shows its start
 * (or later) and closes the first time it then shows its end: a 02:30 start on the day Madrid
 * skips 02:00–03:00 opens at 03:00, and a 02:30 start on the day it repeats 02:00–03:00 opens at
 * the first 02:30. A window whose every minute is skipped does not open that day.
 */

interface LocalTime {
  year: number;
  month: number;
  day: number;
  weekday: Weekday;
  minutes: number;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const WEEKDAY_BY_SHORT: Record<string, Weekday> = {
  Sun: 'sun',
  Mon: 'mon',
  Tue: 'tue',
  Wed: 'wed',
  Thu: 'thu',
  Fri: 'fri',
  Sat: 'sat',
};

const formatters = new Map<string, Intl.DateTimeFormat>();
function localTime(ms: number, timeZone: string): LocalTime {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      weekday: 'short',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  const parts = f.formatToParts(ms);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    year: Number(get('year')),
    month: Number(get('month')),
    day: Number(get('day')),
    weekday: WEEKDAY_BY_SHORT[get('weekday')]!,
    minutes: Number(get('hour')) * 60 + Number(get('minute')),
  };
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
/** What the local clock shows at `ms`, as if it were UTC (to the minute). */
const clockAt = (ms: number, timeZone: string) => {
  const l = localTime(ms, timeZone);
  return Date.UTC(l.year, l.month - 1, l.day, 0, l.minutes);
};
const offsetAt = (ms: number, timeZone: string) => clockAt(ms, timeZone) - Math.floor(ms / MINUTE) * MINUTE;

/**
 * The first instant at which the clock in `timeZone` shows `minutes` past midnight of that day,
 * or later: the earlier of two on the day the clocks go back, the end of the gap for a time the
 * clocks skip on the day they go forward.
 */
function firstInstantAt(year: number, month: number, day: number, minutes: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day, 0, minutes);
  // At most one change of offset within a day of the wall time: the offsets before and after it.
  const candidates = [offsetAt(wall - DAY, timeZone), offsetAt(wall + DAY, timeZone)].map((o) => wall - o);
  const exact = candidates.filter((t) => clockAt(t, timeZone) === wall);
  if (exact.length) return Math.min(...exact);
  // Skipped: the clock reads earlier than `wall` at `lo` and later at `hi`; find the jump, by the minute.
  let lo = Math.min(...candidates);
  let hi = Math.max(...candidates);
  while (hi - lo > MINUTE) {
    const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
    if (clockAt(mid, timeZone) >= wall) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * When the window is open at `nowMs`: `{ open: true, closesAt }`; otherwise when it next opens.
 * A window that started yesterday evening and runs past midnight counts as open. An end at or
 * before the start is on the next day.
 */
export function windowState(
  w: DeployWindow,
  nowMs: number,
): { open: true; closesAt: number } | { open: false; opensAt: number } {
  const today = localTime(nowMs, w.timeZone);
  const start = toMinutes(w.start);
  const end = toMinutes(w.end);
  // Yesterday's opening may still be running; then the next 8 days' openings (a weekly window
  // skipped by the clocks going forward opens a week later).
  for (let offset = -1; offset <= 8; offset++) {
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day + offset, 12));
    const weekday = WEEKDAYS[date.getUTCDay()]!;
    if (!w.days.includes(weekday)) continue;
    const [y, m, d] = [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
    const opens = firstInstantAt(y, m, d, start, w.timeZone);
    const closes = firstInstantAt(y, m, end > start ? d : d + 1, end, w.timeZone);
    if (closes <= opens) continue; // every minute of it skipped by the clocks going forward
    if (nowMs < opens) return { open: false, opensAt: opens };
    if (nowMs < closes) return { open: true, closesAt: closes };
  }
  throw new Error('unreachable: a window with at least one day opens within a week');
}

/**
 * `"sun,sat 03:00-05:00 Europe/Madrid"`, `"mon-fri 02:00-04:00"`, `"03:00-05:00"` (every day, UTC)
 * → a window request (the grammar of src/shared/calendar.ts; the schema checks times and zone).
 */
export function parseWindowSpec(text: string): { days?: Weekday[]; start: string; end: string; timeZone?: string } {
  const { days, times, timeZone } = parseWhen(text, 'range');
  const [start, end] = times as [string, string];
  return { ...(days ? { days } : {}), start, end, ...(timeZone ? { timeZone } : {}) };
}

/** For people: "sun 03:00–05:00 Europe/Madrid". */
export function describeWindow(w: DeployWindow): string {
  return `${describeDays(w.days)} ${w.start}–${w.end} ${w.timeZone}`;
}

/** When a window opens or closes, for people: in its own zone, UTC in parentheses. */
export const windowTime = (w: Pick<DeployWindow, 'timeZone'>, ms: number): string => zonedTime(ms, w.timeZone);
