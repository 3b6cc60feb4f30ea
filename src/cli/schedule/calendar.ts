import type { DayOfWeek } from '@temporalio/client';
import { describeDays, parseWhen, type Weekday } from '../../shared/calendar.js';

/**
 * A schedule's calendar in the form people write it: `"sun 03:00"`, `"mon,thu 02:30"`,
 * `"mon-fri 22:00 Europe/Madrid"`, `"weekdays 22:00"`, `"daily 04:15"` or just `"04:15"` (every
 * day) — the grammar of `start --window` too (src/shared/calendar.ts). Pure: unit-tested, mapped
 * one to one onto a Temporal calendar spec.
 */

const DAY_OF_WEEK: Record<Weekday, DayOfWeek> = {
  sun: 'SUNDAY',
  mon: 'MONDAY',
  tue: 'TUESDAY',
  wed: 'WEDNESDAY',
  thu: 'THURSDAY',
  fri: 'FRIDAY',
  sat: 'SATURDAY',
};

export interface Calendar {
  /** Omitted: every day. In week order, Sunday first. */
  dayOfWeek?: DayOfWeek[];
  hour: number;
  minute: number;
  /** The written form, kept as the calendar's comment: "sun 03:00". */
  comment: string;
  /** Only when the text names one ("sun 03:00 Europe/Madrid"). */
  timeZone?: string;
}

export function parseCalendar(text: string): Calendar {
  const { days, times, timeZone } = parseWhen(text, 'time');
  const hhmm = times[0]!;
  const [hour, minute] = hhmm.split(':').map(Number) as [number, number];
  if (hour > 23 || minute > 59)
    throw new Error(
      `calendar "${text}": ${text
        .trim()
        .split(/\s+/)
        .find((p) => p.includes(':'))} is not a time of day (00:00 to 23:59)`,
    );
  const dayOfWeek = days?.map((d) => DAY_OF_WEEK[d]);
  return {
    ...(dayOfWeek ? { dayOfWeek } : {}),
    hour,
    minute,
    comment: `${describeDays(days)} ${hhmm}`,
    ...(timeZone ? { timeZone } : {}),
  };
}
