import { describe, expect, it } from 'vitest';
import { deployWindowSchema } from '../../src/config/schema.js';
import { describeWindow, parseWindowSpec, windowState, windowTime } from '../../src/plan/deployWindow.js';

const w = (spec: string) => deployWindowSchema.parse(parseWindowSpec(spec));
const at = (iso: string) => Date.parse(iso);

describe('deploy windows', () => {
  it('parses days, range and zone', () => {
    expect(parseWindowSpec('sun,sat 3:00-05:00 Europe/Madrid')).toEqual({
      days: ['sun', 'sat'],
      start: '03:00',
      end: '05:00',
      timeZone: 'Europe/Madrid',
    });
    expect(w('22:00-02:00')).toEqual({
      days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
      start: '22:00',
      end: '02:00',
      timeZone: 'UTC',
    });
    expect(() => parseWindowSpec('sundays at three')).toThrow(/expected/);
    expect(() => parseWindowSpec('xyz 03:00-04:00')).toThrow('unknown day "xyz"');
    expect(deployWindowSchema.safeParse({ start: '25:00', end: '01:00' }).success).toBe(false);
    expect(deployWindowSchema.safeParse({ start: '01:00', end: '02:00', timeZone: 'Mars/Olympus' }).success).toBe(
      false,
    );
  });

  it('is open inside the window, in the window time zone', () => {
    // 2026-11-29 is a Sunday; Madrid is UTC+1 in winter: 03:30 local = 02:30Z.
    expect(windowState(w('sun 03:00-05:00 Europe/Madrid'), at('2026-11-29T02:30:00Z'))).toEqual({
      open: true,
      closesAt: at('2026-11-29T04:00:00Z'),
    });
  });

  it('waits for the next opening when outside it', () => {
    // Wednesday noon UTC → next Sunday 03:00 Madrid = 02:00Z.
    expect(windowState(w('sun 03:00-05:00 Europe/Madrid'), at('2026-11-25T12:00:00Z'))).toEqual({
      open: false,
      opensAt: at('2026-11-29T02:00:00Z'),
    });
    // Sunday 05:00 local exactly: closed, next week.
    expect(windowState(w('sun 03:00-05:00 Europe/Madrid'), at('2026-11-29T04:00:00Z'))).toEqual({
      open: false,
      opensAt: at('2026-12-06T02:00:00Z'),
    });
  });

  it('counts a window past midnight as open the next morning', () => {
    expect(windowState(w('sat 23:00-02:00 UTC'), at('2026-11-29T01:00:00Z'))).toEqual({
      open: true,
      closesAt: at('2026-11-29T02:00:00Z'),
    });
  });

  it('follows daylight saving time', () => {
    // Madrid in summer is UTC+2: Sunday 2026-06-07 03:00 local = 01:00Z.
    expect(windowState(w('sun 03:00-05:00 Europe/Madrid'), at('2026-06-03T00:00:00Z'))).toEqual({
      open: false,
      opensAt: at('2026-06-07T01:00:00Z'),
    });
  });

  it('reads for people', () => {
    expect(describeWindow(w('sun 03:00-05:00 Europe/Madrid'))).toBe('sun 03:00–05:00 Europe/Madrid');
  });

  it('reads every day and weekdays for people, and says when it opens in its own zone', () => {
    expect(describeWindow(w('daily 22:00-02:00'))).toBe('daily 22:00–02:00 UTC');
    expect(describeWindow(w('weekdays 02:00-04:00 America/New_York'))).toBe(
      'mon,tue,wed,thu,fri 02:00–04:00 America/New_York',
    );
    expect(windowTime(w('sun 03:00-05:00 Europe/Madrid'), at('2026-03-29T01:00:00Z'))).toBe(
      'Sun 2026-03-29 03:00 Europe/Madrid (2026-03-29 01:00 UTC)',
    );
  });

  it('opens on each day of a range, not only the first (mon-fri)', () => {
    // Wednesday 2026-11-25 03:30 UTC: inside "mon-fri 03:00-05:00"; Saturday: closed until Monday.
    expect(windowState(w('mon-fri 03:00-05:00'), at('2026-11-25T03:30:00Z'))).toEqual({
      open: true,
      closesAt: at('2026-11-25T05:00:00Z'),
    });
    expect(windowState(w('mon-fri 03:00-05:00'), at('2026-11-28T03:30:00Z'))).toEqual({
      open: false,
      opensAt: at('2026-11-30T03:00:00Z'),
    });
    expect(windowState(w('fri-mon 03:00-05:00'), at('2026-11-28T03:30:00Z'))).toEqual({
      open: true,
      closesAt: at('2026-11-28T05:00:00Z'),
    });
  });
});

/**
 * The days the clocks change (2026): Madrid skips 02:00–03:00 on Sunday March 29 and repeats
 * 02:00–03:00 on Sunday October 25; New York skips 02:00–03:00 on Sunday March 8 and repeats
 * 01:00–02:00 on Sunday November 1. A window opens the first time the local clock shows its start
 * (the end of the gap for a skipped start, the first of two for a repeated one) and closes the
 * first time it then shows its end.
 */
describe('deploy windows on the days the clocks change', () => {
  it.each([
    // [window, now, state]
    [
      'Madrid: 02:30 is skipped, so the window opens when the clock jumps to 03:00 CEST',
      'sun 02:30-04:00 Europe/Madrid',
      '2026-03-28T12:00:00Z',
      { open: false, opensAt: '2026-03-29T01:00:00Z' },
    ],
    [
      'Madrid: … and is open until 04:00 CEST',
      'sun 02:30-04:00 Europe/Madrid',
      '2026-03-29T01:00:00Z',
      { open: true, closesAt: '2026-03-29T02:00:00Z' },
    ],
    [
      'Madrid: 01:30 CET, before the jump, is outside it',
      'sun 02:30-04:00 Europe/Madrid',
      '2026-03-29T00:30:00Z',
      { open: false, opensAt: '2026-03-29T01:00:00Z' },
    ],
    [
      'Madrid: a window wholly inside the skipped hour does not open that day',
      'sun 02:30-03:00 Europe/Madrid',
      '2026-03-28T12:00:00Z',
      { open: false, opensAt: '2026-04-05T00:30:00Z' },
    ],
    [
      'Madrid: 03:00 that day is 01:00 UTC',
      'sun 03:00-05:00 Europe/Madrid',
      '2026-03-28T12:00:00Z',
      { open: false, opensAt: '2026-03-29T01:00:00Z' },
    ],
    [
      'Madrid: a repeated 02:30 opens at the first one (CEST)',
      'sun 02:30-03:30 Europe/Madrid',
      '2026-10-24T12:00:00Z',
      { open: false, opensAt: '2026-10-25T00:30:00Z' },
    ],
    [
      'Madrid: still open in the repeated hour, until 03:30 CET',
      'sun 02:30-03:30 Europe/Madrid',
      '2026-10-25T01:45:00Z',
      { open: true, closesAt: '2026-10-25T02:30:00Z' },
    ],
    [
      'Madrid: a night window over the change lasts 7 hours',
      'sat 23:00-05:00 Europe/Madrid',
      '2026-10-24T21:00:00Z',
      { open: true, closesAt: '2026-10-25T04:00:00Z' },
    ],
    [
      'New York: 02:30 is skipped, the window opens at 03:00 EDT',
      'sun 02:30-04:00 America/New_York',
      '2026-03-07T12:00:00Z',
      { open: false, opensAt: '2026-03-08T07:00:00Z' },
    ],
    [
      'New York: … and closes at 04:00 EDT',
      'sun 02:30-04:00 America/New_York',
      '2026-03-08T07:30:00Z',
      { open: true, closesAt: '2026-03-08T08:00:00Z' },
    ],
    [
      'New York: a repeated 01:30 opens at the first one (EDT)',
      'sun 01:30-02:30 America/New_York',
      '2026-10-31T12:00:00Z',
      { open: false, opensAt: '2026-11-01T05:30:00Z' },
    ],
    [
      'New York: … and closes at 02:30 EST, two hours later',
      'sun 01:30-02:30 America/New_York',
      '2026-11-01T06:45:00Z',
      { open: true, closesAt: '2026-11-01T07:30:00Z' },
    ],
    [
      'New York: a daily night window over the change ends at 02:00 EST',
      'daily 22:00-02:00 America/New_York',
      '2026-11-01T06:30:00Z',
      { open: true, closesAt: '2026-11-01T07:00:00Z' },
    ],
    [
      'New York: … and opens again at 22:00 EST',
      'daily 22:00-02:00 America/New_York',
      '2026-11-01T07:00:00Z',
      { open: false, opensAt: '2026-11-02T03:00:00Z' },
    ],
  ])('%s', (_what, spec, now, expected) => {
    const state = windowState(w(spec), at(now));
    const iso = (ms: number) => new Date(ms).toISOString().replace('.000', '');
    expect(
      state.open ? { open: true, closesAt: iso(state.closesAt) } : { open: false, opensAt: iso(state.opensAt) },
    ).toEqual(expected);
  });
});
