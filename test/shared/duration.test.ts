import { describe, expect, it } from 'vitest';
import { durationMs, isDuration, readDurationMs } from '../../src/shared/duration.js';

describe('durations', () => {
  it.each([
    ['90 seconds', 90_000],
    ['1h', 3_600_000],
    ['10 minutes', 600_000],
    ['1.5 hours', 5_400_000],
    [1_500, 1_500],
  ] as const)('reads %j as %i ms', (d, ms) => {
    expect(readDurationMs(d)).toBe(ms);
    expect(isDuration(d)).toBe(true);
    expect(durationMs(d)).toBe(ms);
  });

  it.each(['', 'soon', '1 fortnight', '10 minutes; rm -rf /', 'ten minutes', '٣ seconds'])(
    'is no duration: %j (undefined, never a throw)',
    (d) => {
      expect(readDurationMs(d)).toBeUndefined();
      expect(isDuration(d)).toBe(false);
    },
  );

  it.each([0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '0 seconds', '-5s', null, undefined, true, {}, ['1h']])(
    'a config may not give %j as a duration',
    (d) => {
      expect(isDuration(d)).toBe(false);
    },
  );
});
