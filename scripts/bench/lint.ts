/** Migration lint throughput over the generated corpus (at least 10,000 statements). */
import { lintMigrations } from '../../src/lint/index.js';
import { parseMigration } from '../../src/lint/parse.js';
import { generateLintCorpus } from './lintCorpus.js';

export interface LintFigures {
  migrations: number;
  statements: number;
  /** Each of the timed runs over the whole corpus. */
  runsMs: number[];
  statementsPerSecond: number;
  findings: number;
}

export function measureLint(minStatements = 10_000, runs = 5): LintFigures {
  const corpus = generateLintCorpus(minStatements);
  const statements = corpus.reduce((n, m) => {
    const parsed = parseMigration(m.sql);
    return n + (parsed.ok ? parsed.statements.length : 0);
  }, 0);
  lintMigrations(corpus); // warm up: the parser's WebAssembly and the JIT
  const runsMs: number[] = [];
  let findings = 0;
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    const report = lintMigrations(corpus);
    runsMs.push(Number(process.hrtime.bigint() - started) / 1e6);
    findings = report.migrations.reduce((n, m) => n + m.findings.length, 0);
  }
  const median = [...runsMs].sort((a, b) => a - b)[Math.floor(runs / 2)]!;
  return { migrations: corpus.length, statements, runsMs: runsMs.map((x) => Math.round(x)), statementsPerSecond: Math.round(statements / (median / 1000)), findings };
}
