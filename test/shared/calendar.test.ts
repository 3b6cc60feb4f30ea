import { describe, expect, it } from 'vitest';
import { parseCalendar } from '../../src/cli/schedule/calendar.js';
import { deployScheduleFrom } from '../../src/cli/schedule/create.js';
import { requestFromOptions } from '../../src/cli/start.js';
import { parseWindowSpec } from '../../src/plan/deployWindow.js';
import { parseDays, zonedTime } from '../../src/shared/calendar.js';

/** One grammar for `start --window` and `schedule create --at`: the same days, the same refusals. */

const ALL = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

describe('days, as people write them', () => {
  it.each([
    ['mon-fri', ['mon', 'tue', 'wed', 'thu', 'fri']],
    ['weekdays', ['mon', 'tue', 'wed', 'thu', 'fri']],
    ['sat,sun', ['sun', 'sat']],
    ['weekends', ['sun', 'sat']],
    ['fri-mon', ['sun', 'mon', 'fri', 'sat']],
    ['sat-sun', ['sun', 'sat']],
    ['mon,wed-fri', ['mon', 'wed', 'thu', 'fri']],
    ['Tues,THURSDAY', ['tue', 'thu']],
    ['wed', ['wed']],
    ['daily', ALL],
    ['sun-sat', ALL],
    ['weekdays,weekends', ALL],
  ])('%s', (text, days) => {
    expect(parseDays(text)).toEqual(days);
    // Both options read them alike: --window keeps the days (every day: left to the default) …
    const window = requestFromOptions({
      app: 'farm-chat',
      env: 'production',
      ref: 'v2',
      follow: false,
      window: `${text} 03:00-05:00 Europe/Madrid`,
    }).window!;
    expect(window).toEqual({ days, start: '03:00', end: '05:00', timeZone: 'Europe/Madrid' });
    // … and --at maps them onto the Temporal calendar (every day: no dayOfWeek).
    const calendar = parseCalendar(`${text} 03:00`);
    expect(calendar.dayOfWeek?.map((d) => d.slice(0, 3).toLowerCase()) ?? ALL).toEqual(days);
  });

  it('--window "mon-fri …" is Monday to Friday, not Monday only', () => {
    expect(parseWindowSpec('mon-fri 03:00-05:00').days).toEqual(['mon', 'tue', 'wed', 'thu', 'fri']);
    expect(parseWindowSpec('weekdays 03:00-05:00').days).toEqual(['mon', 'tue', 'wed', 'thu', 'fri']);
  });

  it.each([
    ['funday', 'unknown day "funday"'],
    ['mo', 'unknown day "mo"'],
    ['mon,', 'unknown day ""'],
    ['mon-', 'unknown day ""'],
    ['mon-fri-sat', '"mon-fri-sat" is not a day or a range of days'],
    ['constructor', 'unknown day "constructor"'],
  ])('refuses %s, saying what it takes', (days, message) => {
    expect(() =>
      requestFromOptions({
        app: 'farm-chat',
        env: 'production',
        ref: 'v2',
        follow: false,
        window: `${days} 03:00-05:00`,
      }),
    ).toThrow(
      `--window: window "${days} 03:00-05:00": ${message} (use sun, mon, tue, wed, thu, fri, sat, a range such as mon-fri`,
    );
    expect(() =>
      deployScheduleFrom({ app: 'farm-chat', env: 'production', ref: 'v2', at: `${days} 03:00` }, {}),
    ).toThrow(`--at: calendar "${days} 03:00": ${message} (use sun, mon`);
  });
});

describe('times for people: the zone of the window, UTC in parentheses', () => {
  it.each([
    ['2026-03-29T01:00:00Z', 'Europe/Madrid', 'Sun 2026-03-29 03:00 Europe/Madrid (2026-03-29 01:00 UTC)'],
    ['2026-11-01T02:00:00Z', 'America/New_York', 'Sat 2026-10-31 22:00 America/New_York (2026-11-01 02:00 UTC)'],
    ['2026-11-01T06:30:00Z', 'America/New_York', 'Sun 2026-11-01 01:30 America/New_York (2026-11-01 06:30 UTC)'],
    ['2026-03-29T01:00:00Z', 'UTC', 'Sun 2026-03-29 01:00 UTC'],
  ])('%s in %s', (iso, zone, text) => {
    expect(zonedTime(Date.parse(iso), zone)).toBe(text);
  });
});
