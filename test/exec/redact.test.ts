import { describe, expect, it } from 'vitest';
import { redact } from '../../src/exec/redact.js';

describe('redact', () => {
  it('removes listed secrets and URL passwords', () => {
    expect(redact('pw=s3cr3t-value and again s3cr3t-value', ['s3cr3t-value'])).toBe('pw=*** and again ***');
    expect(redact('postgresql://farm:p%40ss@127.0.0.1:5432/db')).toBe('postgresql://farm:***@127.0.0.1:5432/db');
    expect(redact('https://user:tok@example.com/x')).toBe('https://user:***@example.com/x');
  });
  it('leaves short or empty secrets alone rather than shredding text', () => {
    expect(redact('a b c', ['', 'a'])).toBe('a b c');
  });
});
