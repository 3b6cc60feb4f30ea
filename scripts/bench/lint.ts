/** Migration lint throughput over the generated corpus (at least 10,000 statements), and the CLI's start and 10,000-migration times. */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lintMigrations } from '../../src/lint/index.js';
import { parseMigration } from '../../src/lint/parse.js';
import { generateLintCorpus, type CorpusMigration } from './lintCorpus.js';

export interface LintFigures {
  migrations: number;
  statements: number;
  /** Each of the timed runs over the whole corpus. */
  runsMs: number[];
  statementsPerSecond: number;
  findings: number;
  /** `safe-deploy lint` on a folder of one small migration, a new process each time: the median (ms). */
  startMs: number;
  /** `safe-deploy lint --json` on a folder of 10,000 small migrations, process start included: the median (ms). */
  tenThousand: { migrations: number; statements: number; ms: number };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const statementsIn = (corpus: readonly CorpusMigration[]) =>
  corpus.reduce((n, m) => {
    const parsed = parseMigration(m.sql);
    return n + (parsed.ok ? parsed.statements.length : 0);
  }, 0);

export function measureLint(minStatements = 10_000, runs = 5): LintFigures {
  const corpus = generateLintCorpus(minStatements);
  const statements = statementsIn(corpus);
  lintMigrations(corpus); // warm up: the parser's WebAssembly and the JIT
  const runsMs: number[] = [];
  let findings = 0;
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    const report = lintMigrations(corpus);
    runsMs.push(Number(process.hrtime.bigint() - started) / 1e6);
    findings = report.migrations.reduce((n, m) => n + m.findings.length, 0);
  }
  return {
    migrations: corpus.length,
    statements,
    runsMs: runsMs.map((x) => Math.round(x)),
    statementsPerSecond: Math.round(statements / (median(runsMs) / 1000)),
    findings,
    ...measureCli(),
  };
}

/** The built CLI, as a user runs it: `node dist/src/client.js lint <folder>`. */
export const builtCli = fileURLToPath(new URL('../../src/client.js', import.meta.url));

/**
 * The CLI runs' two migrations folders under `dir`: `one` (a single small migration) and
 * `ten-thousand` (10,000 small migrations of the corpus), with that corpus's statement count.
 */
export function writeCliFolders(dir: string): {
  one: string;
  tenThousand: string;
  migrations: number;
  statements: number;
} {
  const folder = (name: string, migrations: readonly CorpusMigration[]) => {
    for (const m of migrations) {
      mkdirSync(join(dir, name, m.name), { recursive: true });
      writeFileSync(join(dir, name, m.name, 'migration.sql'), m.sql);
    }
    return join(dir, name);
  };
  const many = generateLintCorpus(80_000).slice(0, 10_000);
  return {
    one: folder('one', many.slice(0, 1)),
    tenThousand: folder('ten-thousand', many),
    migrations: many.length,
    statements: statementsIn(many),
  };
}

/** The built CLI on a folder of one migration and on one of 10,000, each run a new process. */
function measureCli(): Pick<LintFigures, 'startMs' | 'tenThousand'> {
  const cli = builtCli;
  const dir = mkdtempSync(join(tmpdir(), 'safe-deploy-bench-lint-'));
  const timed = (args: string[]) => {
    const started = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [cli, 'lint', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    if (r.status !== 0 && r.status !== 1)
      throw new Error(`safe-deploy lint ${args.join(' ')} exited ${r.status}: ${r.stderr.toString().slice(-500)}`);
    return Number(process.hrtime.bigint() - started) / 1e6;
  };
  try {
    const folders = writeCliFolders(dir);
    const startMs = median(Array.from({ length: 9 }, () => timed([folders.one])));
    const tenMs = median(Array.from({ length: 3 }, () => timed([folders.tenThousand, '--json'])));
    return {
      startMs: Math.round(startMs),
      tenThousand: { migrations: folders.migrations, statements: folders.statements, ms: Math.round(tenMs) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
