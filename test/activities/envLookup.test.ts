import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lookupEnv, parseEnvFile } from '../../src/activities/activityDeps.js';

describe('environment lookup by name', () => {
  it('parses KEY=VALUE files like systemd and dotenv do', () => {
    expect(parseEnvFile('# comment\nA=1\nexport B="two words"\nC=\'x=y\'\n\nbad line\nD=')).toEqual({
      A: '1',
      B: 'two words',
      C: 'x=y',
      D: '',
    });
  });

  it("prefers the app's env file, then the worker's environment; empty means absent", () => {
    const file = join(mkdtempSync(join(tmpdir(), 'env-test-')), 'app.env');
    writeFileSync(file, 'DATABASE_URL=postgres://app/db\nEMPTY=\n');
    const deps = { configPath: '', env: { DATABASE_URL: 'postgres://other/db', ONLY_WORKER: 'w', EMPTY: '' } };
    expect(lookupEnv(deps, file, 'DATABASE_URL')).toEqual({ value: 'postgres://app/db', source: 'env-file' });
    expect(lookupEnv(deps, file, 'ONLY_WORKER')).toEqual({ value: 'w', source: 'worker' });
    expect(lookupEnv(deps, file, 'EMPTY')).toBeUndefined();
    expect(lookupEnv(deps, file + '.missing', 'ONLY_WORKER')?.source).toBe('worker');
  });
});
