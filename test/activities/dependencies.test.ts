import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareWithLockfile, lockfilePackages } from '../../src/activities/dependencies.js';

const lock = {
  packages: {
    '': { name: 'app' },
    'node_modules/pg': {},
    'node_modules/@prisma/client': {},
    'node_modules/pg/node_modules/nested': {},
    'node_modules/fsevents': { optional: true },
    'node_modules/vitest': { dev: true },
  },
};

describe('node_modules against the lockfile', () => {
  it('reads top-level packages; optional and dev ones may be absent', () => {
    const { all, required } = lockfilePackages(lock);
    expect([...all].sort()).toEqual(['@prisma/client', 'fsevents', 'pg', 'vitest']);
    expect([...required].sort()).toEqual(['@prisma/client', 'pg']);
  });

  it('finds what is missing and what is left over (xml2js after a rollback)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'deps-test-'));
    writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lock));
    for (const p of ['pg', '@prisma/client', 'xml2js', '.bin', '.prisma'])
      mkdirSync(join(dir, 'node_modules', p), { recursive: true });
    expect(await compareWithLockfile(dir)).toEqual({ missing: [], extraneous: ['xml2js'], packages: 3 });
  });
});
