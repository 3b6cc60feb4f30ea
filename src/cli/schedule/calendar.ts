import type { DayOfWeek } from '@temporalio/client';

/**
 * A schedule's calendar in the form people write it: `"sun 03:00"`, `"mon,thu 02:30"`,
 * `"mon-fri 22:00 Europe/Madrid"`, `"daily 04:15"` or just `"04:15"` (every day).
 * Pure: unit-tested, mapped one to one onto a Temporal calendar spec.
 */

const DAYS: readonly DayOfWeek[] = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'];
const GROUPS: Record<string, readonly DayOfWeek[]> = {
  daily: DAYS,
  '*': DAYS,
  weekdays: DAYS.slice(1, 6),
  weekends: ['SATURDAY', 'SUNDAY'],
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

function dayOf(word: string, text: string): number {
  const i = DAYS.findIndex((d) => word.length >= 3 && d.toLowerCase().startsWith(word));
  if (i < 0) throw new Error(`calendar "${text}": unknown day "${word}" (use sun, mon, tue, wed, thu, fri, sat, a range such as mon-fri, daily, weekdays or weekends)`);
  return i;
}

function daysOf(list: string, text: string): DayOfWeek[] | undefined {
  const chosen = new Set<DayOfWeek>();
  for (const item of list.toLowerCase().split(',')) {
    const group = Object.hasOwn(GROUPS, item) ? GROUPS[item] : undefined; // not `constructor`, `__proto__`
    if (group) {
      group.forEach((d) => chosen.add(d));
      continue;
    }
    const [from, to] = item.split('-');
    const start = dayOf(from!, text);
    const end = to === undefined ? start : dayOf(to, text);
    for (let i = start; ; i = (i + 1) % 7) {
      chosen.add(DAYS[i]!);
      if (i === end) break;
    }
  }
  return chosen.size === 7 ? undefined : DAYS.filter((d) => chosen.has(d));
}

export function parseCalendar(text: string): Calendar {
  const parts = text.trim().split(/\s+/);
  const timeAt = parts.findIndex((p) => /^\d{1,2}:\d{2}$/.test(p));
  if (timeAt < 0 || timeAt > 1 || parts.length > timeAt + 2) {
    throw new Error(`calendar "${text}": expected "[days] HH:MM [time zone]", e.g. "sun 03:00" or "mon,thu 02:30 Europe/Madrid"`);
  }
  const [hour, minute] = parts[timeAt]!.split(':').map(Number) as [number, number];
  if (hour > 23 || minute > 59) throw new Error(`calendar "${text}": ${parts[timeAt]} is not a time of day (00:00 to 23:59)`);
  const dayOfWeek = timeAt === 1 ? daysOf(parts[0]!, text) : undefined;
  const hhmm = `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
  const days = dayOfWeek ? dayOfWeek.map((d) => d.slice(0, 3).toLowerCase()).join(',') : 'daily';
  return { ...(dayOfWeek ? { dayOfWeek } : {}), hour, minute, comment: `${days} ${hhmm}`, ...(parts[timeAt + 1] ? { timeZone: parts[timeAt + 1] } : {}) };
}
