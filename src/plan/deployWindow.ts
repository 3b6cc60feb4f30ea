import type { DeployWindow } from '../config/schema.js';
import { describeDays, parseWhen, WEEKDAYS, type Weekday } from '../shared/calendar.js';

/**
 * Low-traffic windows, as pure functions of a time: the workflow calls them with its own
 * (replay-safe, time-skippable) clock. Time zones come from the runtime's Intl data.
 */

interface LocalTime {
  year: number;
  month: number;
  day: number;
  weekday: Weekday;
  minutes: number;
}

const WEEKDAY_BY_SHORT: Record<string, Weekday> = { Sun: 'sun', Mon: 'mon', Tue: 'tue', Wed: 'wed', Thu: 'thu', Fri: 'fri', Sat: 'sat' };

function localTime(ms: number, timeZone: string): LocalTime {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', weekday: 'short', hour: 'numeric', minute: 'numeric',
  }).formatToParts(ms);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    year: Number(get('year')), month: Number(get('month')), day: Number(get('day')),
    weekday: WEEKDAY_BY_SHORT[get('weekday')]!, minutes: Number(get('hour')) * 60 + Number(get('minute')),
  };
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** The instant a local wall-clock time happens in `timeZone` (the later one across a DST change). */
function instantOf(year: number, month: number, day: number, minutes: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day, Math.floor(minutes / 60), minutes % 60);
  let guess = wall;
  for (let i = 0; i < 3; i++) {
    const l = localTime(guess, timeZone);
    const seen = Date.UTC(l.year, l.month - 1, l.day, Math.floor(l.minutes / 60), l.minutes % 60);
    if (seen === wall) return guess;
    guess += wall - seen;
  }
  return guess;
}

/** Length of a window in minutes: an end at or before the start is on the next day. */
function lengthOf(w: DeployWindow): number {
  const start = toMinutes(w.start);
  const end = toMinutes(w.end);
  return end > start ? end - start : end + 24 * 60 - start;
}

/**
 * When the window is open at `nowMs`: `{ open: true, closesAt }`; otherwise when it next opens.
 * A window that started yesterday evening and runs past midnight counts as open.
 */
export function windowState(w: DeployWindow, nowMs: number): { open: true; closesAt: number } | { open: false; opensAt: number } {
  const today = localTime(nowMs, w.timeZone);
  const length = lengthOf(w) * 60_000;
  // Yesterday's opening may still be running; then the next 7 days' openings.
  for (let offset = -1; offset <= 7; offset++) {
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day + offset, 12));
    const weekday = WEEKDAYS[date.getUTCDay()]!;
    if (!w.days.includes(weekday)) continue;
    const opens = instantOf(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), toMinutes(w.start), w.timeZone);
    if (nowMs < opens) return { open: false, opensAt: opens };
    if (nowMs < opens + length) return { open: true, closesAt: opens + length };
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
