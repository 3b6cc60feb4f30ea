import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLintCorpus } from '../../scripts/bench/lintCorpus.js';
import type * as LintModule from '../../src/lint/index.js';
import type * as LintDirModule from '../../src/lint/lintMigrationsDir.js';
import type * as AheadModule from '../../src/lint/parseAhead.js';
import type { PreparedMigration as Prepared } from '../../src/lint/parseAhead.js';

// The parse worker runs from the built package only (vitest runs the TypeScript sources), so this
// file lints through dist/: the same folder with and without the worker must give the same report.
const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist/src/client.js');
type Lint = typeof LintModule;
type LintDir = typeof LintDirModule;
type Ahead = typeof AheadModule;
let lint: Lint;
let lintDir: LintDir;
let ahead: Ahead;

const dir = mkdtempSync(join(tmpdir(), 'safe-deploy-lint-parallel-'));
const MB = 1024 * 1024;
const limits = { maxMigrationBytes: 40 * MB };

function migration(name: string, sql?: string | Buffer): void {
  mkdirSync(join(dir, name));
  if (sql !== undefined) writeFileSync(join(dir, name, 'migration.sql'), sql);
}

const name63 = `${'é'.repeat(31)}x`; // 63 bytes: PostgreSQL's longest identifier
const odd: [string, string | Buffer | undefined][] = [
  [
    '20200101000050_does_not_parse',
    `CREATE TABLE "café_🚜" ("id" INT);\n-- ünïcode before the error\nALTER TABLE "café_🚜" ADD COLUMN "naïve" TEXT;\nCREATE INDX "i" ON "café_🚜"("naïve");\n`,
  ],
  [
    '20200101000150_multibyte names',
    `CREATE TABLE "${name63}" ("id" INT, "it""s" TEXT, "🚜" TEXT);\nALTER TABLE "users" DROP COLUMN "ünïcode ""quoted""";\n/* 🚜 */ ALTER TABLE "model_3" ALTER COLUMN "🚜" SET NOT NULL;\n`,
  ],
  ['20200101000160_drop_63_bytes', `-- ünïcode 🚜\nDROP TABLE "${name63}";\n`],
  ['20200101000250_empty', ''],
  ['20200101000350_comments_only', '-- nothing to do\n/* really 🚜 */\n'],
  ['20200101000450_no_sql', undefined],
  // Not UTF-8: read the same way (U+FFFD) on either path.
  [
    '20200101000550_latin1',
    Buffer.from('ALTER TABLE "users" ADD COLUMN "caf\xe9" TEXT DEFAULT \'\xe9t\xe9\';\n', 'latin1'),
  ],
  // Deeper than the lint can read: a non-syntax failure the worker leaves to the main thread.
  ['20200101000650_deep', `SELECT 1${'+1'.repeat(30_000)};\nDROP TABLE "users";\n`],
  ['20200101000750_nested', `SELECT ${'('.repeat(3000)}1${')'.repeat(3000)};\nTRUNCATE "users";\n`],
  // Over 1 MB: parsed in pieces on the main thread, with a destructive statement in the middle.
  [
    '20200101000850_big_in_pieces',
    Array.from({ length: 24_000 }, (_, i) =>
      i === 12_000 ? 'DELETE FROM "users";' : `ALTER TABLE "users" ADD COLUMN "c${i}_é" TEXT;`,
    ).join('\n'),
  ],
  // A single statement over 8 MB (maxStatementBytes): one clear error, never parsed.
  [
    '20200101000950_huge_statement',
    `INSERT INTO "seed" VALUES\n${Array(9 * 1024 * 16)
      .fill(`(1, '${'x'.repeat(56)}')`)
      .join(',\n')};\n`,
  ],
];

beforeAll(async () => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
  lint = (await import(join(root, 'dist/src/lint/index.js'))) as Lint;
  lintDir = (await import(join(root, 'dist/src/lint/lintMigrationsDir.js'))) as LintDir;
  ahead = (await import(join(root, 'dist/src/lint/parseAhead.js'))) as Ahead;
  for (const m of generateLintCorpus(5_000)) migration(m.name, m.sql);
  for (const [name, sql] of odd) migration(name, sql);
  // The issue's 43 MB data migration, over the 40 MB cap here: not read at all.
  const rows = Array(Math.ceil((43 * MB) / 65)).fill(`(1, '${'x'.repeat(56)}')`); // 65 bytes a row
  migration('20200101001050_seed_43mb', `INSERT INTO "seed" VALUES\n${rows.join(',\n')};\n`);
  migration('20200101001150_zero');
  symlinkSync('/dev/zero', join(dir, '20200101001150_zero', 'migration.sql'));
  migration('20200101001250_fifo');
  execFileSync('mkfifo', [join(dir, '20200101001250_fifo', 'migration.sql')]);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lint of a big folder: parsed ahead on a worker thread', () => {
  it('gives the same report as the serial lint, on a mixed corpus', async () => {
    const serial = await lint.lintMigrationsDir(dir, { limits, parseAhead: false });
    const parallel = await lint.lintMigrationsDir(dir, { limits, parseAhead: true });
    expect(parallel).toEqual(serial);

    // …and that report has every odd case in it, read as the serial lint reads it.
    expect(serial.migrations.length).toBeGreaterThan(lintDir.PARSE_AHEAD_FROM + odd.length);
    const byName = new Map(serial.migrations.map((m) => [m.name, m]));
    const rules = (name: string) => byName.get(name)?.findings.map((f) => f.rule);
    expect(byName.get('20200101000050_does_not_parse')).toMatchObject({
      severity: 'invalid',
      findings: [{ rule: 'parse-error', line: 4, statement: 'CREATE INDX "i" ON "café_🚜"("naïve");' }],
    });
    expect(byName.get('20200101000150_multibyte names')?.findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ rule: 'drop-column', line: 2, message: expect.stringContaining('ünïcode "quoted"') }),
        expect.objectContaining({
          rule: 'set-not-null',
          line: 3,
          statement: 'ALTER TABLE "model_3" ALTER COLUMN "🚜" SET NOT NULL',
        }),
      ]),
    );
    expect(byName.get('20200101000160_drop_63_bytes')?.findings[0]).toMatchObject({
      rule: 'drop-table',
      line: 2,
      statement: `DROP TABLE "${name63}"`,
    });
    expect(byName.get('20200101000250_empty')).toEqual({
      name: '20200101000250_empty',
      severity: 'additive',
      findings: [],
    });
    expect(byName.get('20200101000350_comments_only')?.severity).toBe('additive');
    expect(rules('20200101000450_no_sql')).toEqual(['missing-migration-sql']);
    expect(byName.get('20200101000550_latin1')?.findings[0]?.statement).toContain('caf\ufffd');
    expect(byName.get('20200101000650_deep')?.findings[0]?.message).toMatch(/nests too deeply/);
    expect(rules('20200101000750_nested')).toContain('truncate-table');
    expect(byName.get('20200101000850_big_in_pieces')?.findings).toEqual(
      expect.arrayContaining([expect.objectContaining({ rule: 'delete-rows', line: 12_001 })]),
    );
    expect(byName.get('20200101000950_huge_statement')?.findings[0]?.message).toMatch(
      /^statement at line 1 too large to parse \(9\.\d MB > 8 MB\)$/,
    );
    expect(byName.get('20200101001050_seed_43mb')?.findings[0]?.message).toBe(
      'migration too large to parse (43 MB > 40 MB)',
    );
    expect(rules('20200101001150_zero')).toEqual(['missing-migration-sql']);
    expect(rules('20200101001250_fifo')).toEqual(['missing-migration-sql']);
  }, 120_000);

  it('the worker really parses: small files come with their tree or syntax error, the rest are left to the main thread', async () => {
    const names = [
      ...generateLintCorpus(5_000)
        .slice(0, 300)
        .map((m) => m.name),
      ...odd.map(([name]) => name),
      '20200101001050_seed_43mb',
    ];
    const got: Prepared[] = [];
    // 1 KiB ahead at most: the worker waits for the main thread after every batch.
    for await (const batch of ahead.parseAhead(dir, names, { ...lint.DEFAULT_LIMITS, ...limits }, 1))
      got.push(...(batch as Prepared[]));
    expect(got.map((m) => m.name)).toEqual(names);
    const kind = (m: Prepared) =>
      'tooLarge' in m
        ? 'too large'
        : 'unreadable' in m
          ? 'unreadable'
          : m.tree !== undefined
            ? 'tree'
            : m.error !== undefined
              ? 'syntax error'
              : 'main thread';
    expect(got.map((m) => [m.name, kind(m)])).toEqual([
      ...names.slice(0, 300).map((name) => [name, 'tree']),
      ['20200101000050_does_not_parse', 'syntax error'],
      ['20200101000150_multibyte names', 'tree'],
      ['20200101000160_drop_63_bytes', 'tree'],
      ['20200101000250_empty', 'main thread'],
      ['20200101000350_comments_only', 'tree'],
      ['20200101000450_no_sql', 'unreadable'],
      ['20200101000550_latin1', 'tree'],
      ['20200101000650_deep', 'main thread'],
      ['20200101000750_nested', 'tree'],
      ['20200101000850_big_in_pieces', 'main thread'],
      ['20200101000950_huge_statement', 'main thread'],
      ['20200101001050_seed_43mb', 'too large'],
    ]);
  });

  it('`safe-deploy lint --json` prints that report, byte for byte, and exits 1', async () => {
    const serial = await lint.lintMigrationsDir(dir, { limits, parseAhead: false });
    const r = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile(
        process.execPath,
        [cli, 'lint', dir, '--json', '--max-migration-mb', '40'],
        { env: { PATH: process.env.PATH ?? '', TEMPORAL_ADDRESS: '127.0.0.1:1' }, maxBuffer: 256 * MB },
        (err, stdout) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout }),
      ),
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`${JSON.stringify(serial, null, 2)}\n`);
  }, 120_000);
});
