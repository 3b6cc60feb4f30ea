/**
 * The one calendar grammar of safe-deploy, for `start --window` ("[days] HH:MM-HH:MM [time zone]")
 * and `schedule create --at` ("[days] HH:MM [time zone]"), and how its times read for people.
 * Days: `sun`…`sat` (or longer: `tues`, `thursday`), ranges that may wrap (`mon-fri`, `fri-mon`),
 * lists that mix both (`mon,wed-fri`), and `daily`, `weekdays`, `weekends`.
 * Pure (no Node builtins, no zod): the workflow bundle imports it.
 */

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const FULL_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const GROUPS: Record<string, readonly Weekday[]> = {
  daily: WEEKDAYS,
  '*': WEEKDAYS,
  weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'],
  weekends: ['sat', 'sun'],
};

export const DAYS_HELP =
  'use sun, mon, tue, wed, thu, fri, sat, a range such as mon-fri or fri-mon, a list such as mon,wed-fri, ' +
  'daily, weekdays or weekends';

/** A text that is not in the grammar; the message says what was expected. */
export class CalendarSyntaxError extends Error {}

/** `mon`, `tues`, `thursday`: at least three letters of a day's name. */
function dayIndex(word: string): number {
  const i = word.length >= 3 ? FULL_NAMES.findIndex((d) => d.startsWith(word)) : -1;
  if (i < 0) throw new CalendarSyntaxError(`unknown day "${word}" (${DAYS_HELP})`);
  return i;
}

/** `"mon-fri"`, `"sat,sun"`, `"fri-mon"`, `"mon,wed-fri"`, `"weekdays"` → the days, in week order (Sunday first). */
export function parseDays(list: string): Weekday[] {
  const chosen = new Set<number>();
  for (const item of list.toLowerCase().split(',')) {
    const group = Object.hasOwn(GROUPS, item) ? GROUPS[item] : undefined; // not `constructor`, `__proto__`
    if (group) {
      group.forEach((d) => chosen.add(WEEKDAYS.indexOf(d)));
      continue;
    }
    const ends = item.split('-');
    if (ends.length > 2) throw new CalendarSyntaxError(`"${item}" is not a day or a range of days (${DAYS_HELP})`);
    const start = dayIndex(ends[0]!);
    const end = ends.length === 2 ? dayIndex(ends[1]!) : start;
    // A range that wraps (fri-mon) goes on through the weekend.
    for (let i = start; ; i = (i + 1) % 7) {
      chosen.add(i);
      if (i === end) break;
    }
  }
  return WEEKDAYS.filter((_, i) => chosen.has(i));
}

/** Days for people, as the calendar's comment and the window's description show them: "daily" or "mon,tue". */
export const describeDays = (days: readonly Weekday[] | undefined): string =>
  !days || days.length === 7 ? 'daily' : days.join(',');

export interface ParsedWhen {
  /** Omitted: every day. */
  days?: Weekday[];
  /** "HH:MM", zero-padded: one for a time (`--at`), start and end for a range (`--window`). Not range-checked. */
  times: string[];
  timeZone?: string;
}

const FORMS = {
  time: {
    what: 'calendar',
    token: /^\d{1,2}:\d{2}$/,
    expected: '"[days] HH:MM [time zone]", e.g. "sun 03:00" or "mon,thu 02:30 Europe/Madrid"',
  },
  range: {
    what: 'window',
    token: /^\d{1,2}:\d{2}-\d{1,2}:\d{2}$/,
    expected: '"[days] HH:MM-HH:MM [time zone]", e.g. "sun 03:00-05:00 Europe/Madrid" or "mon-fri 02:00-04:00"',
  },
} as const;

/**
 * `"[days] HH:MM [time zone]"` (form `time`) or `"[days] HH:MM-HH:MM [time zone]"` (form `range`).
 * Errors name the text and what was expected; the caller adds the option (`--at: …`, `--window: …`).
 */
export function parseWhen(text: string, form: keyof typeof FORMS): ParsedWhen {
  const { what, token, expected } = FORMS[form];
  const parts = text.trim().split(/\s+/);
  const at = parts.findIndex((p) => token.test(p));
  if (at < 0 || at > 1 || parts.length > at + 2)
    throw new CalendarSyntaxError(`${what} "${text}": expected ${expected}`);
  let days: Weekday[] | undefined;
  try {
    days = at === 1 ? parseDays(parts[0]!) : undefined;
  } catch (err) {
    throw new CalendarSyntaxError(`${what} "${text}": ${(err as Error).message}`);
  }
  const times = parts[at]!.split('-').map((t) => t.padStart(5, '0'));
  return { ...(days && days.length < 7 ? { days } : {}), times, ...(parts[at + 1] ? { timeZone: parts[at + 1] } : {}) };
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function parts(ms: number, timeZone: string): Record<string, string> {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
    });
    formatters.set(timeZone, f);
  }
  return Object.fromEntries(f.formatToParts(ms).map((p) => [p.type, p.value]));
}

const dateTime = (ms: number, timeZone: string) => {
  const p = parts(ms, timeZone);
  return { weekday: p.weekday!, date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}` };
};

/** "(2026-03-29 01:00 UTC)": what follows a time shown in another zone. */
export function inUtc(ms: number): string {
  const utc = dateTime(ms, 'UTC');
  return `(${utc.date} ${utc.time} UTC)`;
}

/**
 * An instant in a window's or schedule's own time zone, with UTC in parentheses:
 * "Sun 2026-03-29 03:00 Europe/Madrid (2026-03-29 01:00 UTC)"; in UTC, "Sun 2026-03-29 01:00 UTC".
 */
export function zonedTime(ms: number, timeZone: string): string {
  const local = dateTime(ms, timeZone);
  return `${local.weekday} ${local.date} ${local.time} ${timeZone}${timeZone === 'UTC' ? '' : ` ${inUtc(ms)}`}`;
}
