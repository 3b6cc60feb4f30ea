import { describe, expect, it } from 'vitest';
import { deployWindowSchema } from '../../src/config/schema.js';
import { describeWindow, parseWindowSpec, windowState } from '../../src/plan/deployWindow.js';

const w = (spec: string) => deployWindowSchema.parse(parseWindowSpec(spec));
const at = (iso: string) => Date.parse(iso);

describe('deploy windows', () => {
  it('parses days, range and zone', () => {
    expect(parseWindowSpec('sun,sat 3:00-05:00 Europe/Madrid')).toEqual({ days: ['sun', 'sat'], start: '03:00', end: '05:00', timeZone: 'Europe/Madrid' });
    expect(w('22:00-02:00')).toEqual({ days: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], start: '22:00', end: '02:00', timeZone: 'UTC' });
    expect(() => parseWindowSpec('sundays at three')).toThrow(/expected/);
    expect(() => parseWindowSpec('xyz 03:00-04:00')).toThrow('unknown day "xyz"');
    expect(deployWindowSchema.safeParse({ start: '25:00', end: '01:00' }).success).toBe(false);
    expect(deployWindowSchema.safeParse({ start: '01:00', end: '02:00', timeZone: 'Mars/Olympus' }).success).toBe(false);
  });

  it('is open inside the window, in the window time zone', () => {
    // 2026-11-29 is a Sunday; Madrid is UTC+1 in winter: 03:30 local = 02:30Z.
    expect(windowState(w('sun 03:00-05:00 Europe/Madrid'), at('2026-11-29T02:30:00Z'))).toEqual({ open: true, closesAt: at('2026-11-29T04:00:00Z') });
  });

  it('waits for the next opening when outside it', () => {
    // Wednesday noon UTC → next Sunday 03:00 Madrid = 02:00Z.
    expect(windowState(w('sun 03:00-05:00 Europe/Madrid'), at('2026-11-25T12:00:00Z'))).toEqual({ open: false, opensAt: at('2026-11-29T02:00:00Z') });
    // Sunday 05:00 local exactly: closed, next week.
    expect(windowState(w('sun 03:00-05:00 Europe/Madrid'), at('2026-11-29T04:00:00Z'))).toEqual({ open: false, opensAt: at('2026-12-06T02:00:00Z') });
  });

  it('counts a window past midnight as open the next morning', () => {
    expect(windowState(w('sat 23:00-02:00 UTC'), at('2026-11-29T01:00:00Z'))).toEqual({ open: true, closesAt: at('2026-11-29T02:00:00Z') });
  });

  it('follows daylight saving time', () => {
    // Madrid in summer is UTC+2: Sunday 2026-06-07 03:00 local = 01:00Z.
    expect(windowState(w('sun 03:00-05:00 Europe/Madrid'), at('2026-06-03T00:00:00Z'))).toEqual({ open: false, opensAt: at('2026-06-07T01:00:00Z') });
  });

  it('reads for people', () => {
    expect(describeWindow(w('sun 03:00-05:00 Europe/Madrid'))).toBe('sun 03:00–05:00 Europe/Madrid');
  });
});
