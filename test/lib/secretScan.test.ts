import { describe, expect, it } from 'vitest';
import { containsValue } from '../../scripts/lib/secretScan.js';

/** The secret scan every test and the fault matrix run over histories and worker logs. */
describe('containsValue', () => {
  it('finds a secret anywhere, a number only as a number of its own', () => {
    expect(containsValue('{"url":"postgres://u:pw-abc@h/db"}', 'pw-abc')).toBe(true);
    expect(containsValue('"port":"8931"', '8931')).toBe(true);
    expect(containsValue('SATSHOT_MCP_PORT=8931\n', '8931')).toBe(true);
  });

  it('does not take a coincidence for a leak: inside a longer number, a duration, a size, a process id in an identity', () => {
    expect(containsValue('"nanos":189314000', '8931')).toBe(false);
    expect(containsValue('"durationMs":8931', '8931')).toBe(false);
    expect(containsValue('healthy after 8931 ms', '8931')).toBe(false);
    expect(containsValue('8931 bytes', '8931')).toBe(false);
    expect(containsValue('cancelled by 8931@worker-host', '8931')).toBe(false);
  });
});
