import { describe, expect, it } from 'vitest';
import { parseCalendar } from '../../src/cli/schedule/calendar.js';

describe('schedule calendars as people write them', () => {
  it.each([
    ['sun 03:00', { dayOfWeek: ['SUNDAY'], hour: 3, minute: 0, comment: 'sun 03:00' }],
    ['mon,thu 02:30', { dayOfWeek: ['MONDAY', 'THURSDAY'], hour: 2, minute: 30, comment: 'mon,thu 02:30' }],
    ['Thursday,monday 2:30', { dayOfWeek: ['MONDAY', 'THURSDAY'], hour: 2, minute: 30, comment: 'mon,thu 02:30' }],
    [
      'mon-fri 22:00 Europe/Madrid',
      {
        dayOfWeek: ['MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY'],
        hour: 22,
        minute: 0,
        comment: 'mon,tue,wed,thu,fri 22:00',
        timeZone: 'Europe/Madrid',
      },
    ],
    [
      'fri-mon 23:59',
      { dayOfWeek: ['SUNDAY', 'MONDAY', 'FRIDAY', 'SATURDAY'], hour: 23, minute: 59, comment: 'sun,mon,fri,sat 23:59' },
    ],
    ['weekends 06:05', { dayOfWeek: ['SUNDAY', 'SATURDAY'], hour: 6, minute: 5, comment: 'sun,sat 06:05' }],
    ['daily 04:15', { hour: 4, minute: 15, comment: 'daily 04:15' }],
    ['sun-sat 04:15', { hour: 4, minute: 15, comment: 'daily 04:15' }],
    ['  00:00  UTC ', { hour: 0, minute: 0, comment: 'daily 00:00', timeZone: 'UTC' }],
  ])('%s', (text, calendar) => {
    expect(parseCalendar(text)).toEqual(calendar);
  });

  it.each([
    ['sunday', 'expected "[days] HH:MM [time zone]"'],
    ['sun 3pm', 'expected "[days] HH:MM [time zone]"'],
    ['sun 24:00', '24:00 is not a time of day'],
    ['sun 03:60', '03:60 is not a time of day'],
    ['funday 03:00', 'unknown day "funday"'],
    ['su 03:00', 'unknown day "su"'],
    ['sun 03:00 Europe/Madrid extra', 'expected'],
    ['every sun 03:00', 'expected'],
  ])('refuses %s', (text, message) => {
    expect(() => parseCalendar(text)).toThrow(message);
  });
});
