import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LintReport } from '../../src/lint/index.js';
import { createLintDatabase, type LintDatabase } from '../helpers/lintDatabase.js';

// End to end: the built CLI with --database-url-env on a real database (test/helpers/lintDatabase.ts).
const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist/src/client.js');
const dir = mkdtempSync(join(tmpdir(), 'safe-deploy-lint-live-'));
let db: LintDatabase;

function safeDeploy(env: Record<string, string>, ...args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [cli, ...args],
      { env: { PATH: process.env.PATH ?? '', TEMPORAL_ADDRESS: '127.0.0.1:1', ...env } },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

beforeAll(async () => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` first`);
  db = await createLintDatabase('lint_cli');
  // The history the database was built with is not these migrations: only the new ones matter here.
  const add = (name: string, sql: string) => {
    mkdirSync(join(dir, name), { recursive: true });
    writeFileSync(join(dir, name, 'migration.sql'), sql);
  };
  add('20260301000000_indexes', 'CREATE INDEX tiny_note ON tiny (note);\nCREATE INDEX big_a ON big (a);\n');
  add('20260302000000_defaults', 'ALTER TABLE big ADD COLUMN region text DEFAULT region_of_now();\n');
}, 120_000);
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await db?.close();
});

describe('safe-deploy lint --database-url-env', () => {
  it('reads the live catalog: a small table is a notice with its size, a big one risky with a lock-time estimate', async () => {
    const r = await safeDeploy({ LINT_DB: db.url }, 'lint', dir, '--database-url-env', 'LINT_DB');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^live database: PostgreSQL \d+\.\d+, 2 of the tables the migrations name read/);
    expect(r.stdout).toMatch(/20260301000000_indexes\s+risky \(2 notices\)/);
    expect(r.stdout).toContain('Not risky here: tiny holds ~5 rows');
    expect(r.stdout).toMatch(
      /big holds ~20,000 rows, [\d.]+ [kM]B with its indexes in the live database: the index build takes/,
    );
    // region_of_now() is IMMUTABLE in pg_proc: no rewrite.
    expect(r.stdout).toMatch(/20260302000000_defaults\s+additive/);
    expect(r.stdout + r.stderr).not.toContain(db.password);
  });

  it('--json carries the same, and which database facts were used', async () => {
    const r = await safeDeploy({ LINT_DB: db.url }, '--json', 'lint', dir, '--database-url-env', 'LINT_DB');
    const report = JSON.parse(r.stdout) as LintReport;
    expect(report.database).toEqual({ serverVersion: expect.stringMatching(/^\d+\.\d+/), tables: 2 });
    expect(report.migrations.map((m) => m.severity)).toEqual(['risky', 'additive']);
    expect(
      report.migrations[0]!.findings.filter((f) => f.rule === 'create-index-without-concurrently').map(
        (f) => f.severity,
      ),
    ).toEqual(['notice', 'risky']);
  });

  it('without the flag, as before: the function is unknown, every index risky', async () => {
    const r = await safeDeploy({ LINT_DB: db.url }, '--json', 'lint', dir);
    const report = JSON.parse(r.stdout) as LintReport;
    expect(report.database).toBeUndefined();
    expect(report.migrations.map((m) => m.severity)).toEqual(['risky', 'risky']);
  });

  it('refuses a variable that is not set, or not a name, with exit 2 (the URL is never taken from argv)', async () => {
    const unset = await safeDeploy({}, 'lint', dir, '--database-url-env', 'LINT_DB');
    expect(unset).toMatchObject({ code: 2, stdout: '' });
    expect(unset.stderr).toContain('the environment variable LINT_DB is not set');
    const url = await safeDeploy({}, 'lint', dir, '--database-url-env', db.url);
    expect(url.code).toBe(2);
    expect(url.stderr).toContain('takes the NAME of an environment variable');
    expect(url.stderr).not.toContain(db.password);
  });

  it('a database it cannot read: exit 2, the reason, and never the password', async () => {
    const wrong = db.url.replace(encodeURIComponent(db.password), 'not-the-password-at-all');
    const r = await safeDeploy({ LINT_DB: wrong }, 'lint', dir, '--database-url-env', 'LINT_DB');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/could not read the database in LINT_DB: password authentication failed/);
    expect(r.stderr + r.stdout).not.toContain('not-the-password-at-all');
    expect(r.stderr + r.stdout).not.toContain(db.password);
  });
});
