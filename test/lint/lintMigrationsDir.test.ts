import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateLintCorpus } from '../../scripts/bench/lintCorpus.js';
import { lintMigrationsDir } from '../../src/lint/index.js';
import { canParseAhead } from '../../src/lint/parseAhead.js';

const dir = mkdtempSync(join(tmpdir(), 'safe-deploy-lint-dir-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function migration(name: string, sql?: string): void {
  mkdirSync(join(dir, name));
  if (sql !== undefined) writeFileSync(join(dir, name, 'migration.sql'), sql);
}

describe('lintMigrationsDir', () => {
  it('reads <dir>/<name>/migration.sql in sorted order, skips files, and flags a folder without SQL', async () => {
    migration('20260301000000_drop', 'DROP TABLE "t";');
    migration('20260101000000_init', 'CREATE TABLE "t" ("id" SERIAL NOT NULL);');
    migration('20260201000000_empty');
    writeFileSync(join(dir, 'migration_lock.toml'), 'provider = "postgresql"\n');
    const report = await lintMigrationsDir(dir);
    expect(report.migrations.map((m) => [m.name, m.severity])).toEqual([
      ['20260101000000_init', 'additive'],
      ['20260201000000_empty', 'invalid'],
      ['20260301000000_drop', 'destructive'],
    ]);
    expect(report.migrations[1]?.findings[0]).toMatchObject({
      rule: 'missing-migration-sql',
      severity: 'error',
      file: join(dir, '20260201000000_empty', 'migration.sql'),
    });
    expect(report.migrations[2]?.findings[0]).toMatchObject({
      rule: 'drop-table',
      file: join(dir, '20260301000000_drop', 'migration.sql'),
      line: 1,
    });
  });

  it('reads only regular files: a migration.sql linked to /dev/zero, or a FIFO, is not a migration (and never hangs)', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'safe-deploy-lint-odd-'));
    try {
      mkdirSync(join(folder, '1_zero'));
      symlinkSync('/dev/zero', join(folder, '1_zero', 'migration.sql'));
      mkdirSync(join(folder, '2_fifo'));
      execFileSync('mkfifo', [join(folder, '2_fifo', 'migration.sql')]);
      const report = await lintMigrationsDir(folder);
      expect(report.migrations.map((m) => [m.name, m.severity, m.findings[0]?.rule])).toEqual([
        ['1_zero', 'invalid', 'missing-migration-sql'],
        ['2_fifo', 'invalid', 'missing-migration-sql'],
      ]);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('lintMigrationsDir with the parse worker', () => {
  it('lints the rest itself when the worker cannot run (here, from the TypeScript sources): the same report', async () => {
    expect(canParseAhead()).toBe(false); // vitest runs src/*.ts; the worker is dist/src/lint/parseWorker.js
    const folder = mkdtempSync(join(tmpdir(), 'safe-deploy-lint-fallback-'));
    try {
      for (const m of generateLintCorpus(600)) {
        mkdirSync(join(folder, m.name));
        writeFileSync(join(folder, m.name, 'migration.sql'), m.sql);
      }
      mkdirSync(join(folder, '20200101000050_typo_ünïcode'));
      writeFileSync(
        join(folder, '20200101000050_typo_ünïcode', 'migration.sql'),
        'ALTER TABLE "café" ADD "x" INT;\nDROPP TABLE "🚜";\n',
      );
      const serial = await lintMigrationsDir(folder, { parseAhead: false });
      expect(serial.migrations.find((m) => m.name === '20200101000050_typo_ünïcode')?.findings[0]).toMatchObject({
        rule: 'parse-error',
        line: 2,
      });
      expect(await lintMigrationsDir(folder, { parseAhead: true })).toEqual(serial);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
