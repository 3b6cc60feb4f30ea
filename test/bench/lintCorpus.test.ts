import { loadModule, parseSync } from 'libpg-query';
import { describe, expect, it } from 'vitest';
import { generateLintCorpus } from '../../scripts/bench/lintCorpus.js';
import { lintMigrations, rules } from '../../src/lint/index.js';

await loadModule();
const statementsIn = (sql: string) => parseSync(sql).stmts?.length ?? 0;

describe('generateLintCorpus', () => {
  it.each([1, 500, 10_000])('yields at least %i parseable statements, in many migrations sorted by name', (n) => {
    const corpus = generateLintCorpus(n);
    expect(corpus.reduce((sum, m) => sum + statementsIn(m.sql), 0)).toBeGreaterThanOrEqual(n);
    const names = corpus.map((m) => m.name);
    expect([...names].sort()).toEqual(names);
    expect(new Set(names).size).toBe(names.length);
  });

  it('is the same corpus every time', () => {
    expect(generateLintCorpus(2000)).toEqual(generateLintCorpus(2000));
  });

  it('over 10,000 statements, gives findings for every rule and keeps most migrations additive', () => {
    const corpus = generateLintCorpus(10_000);
    const report = lintMigrations(corpus);
    const found = new Set(report.migrations.flatMap((m) => m.findings.map((f) => f.rule)));
    expect([...found].sort()).toEqual(rules.map((r) => r.id).sort());
    const bySeverity = (s: string) => report.migrations.filter((m) => m.severity === s).length;
    // Every migration parses; the invalid ones are those that cannot run as Prisma runs them.
    expect(report.migrations.flatMap((m) => m.findings).filter((f) => f.rule === 'parse-error')).toEqual([]);
    expect(bySeverity('invalid')).toBeGreaterThan(0);
    expect(bySeverity('destructive')).toBeGreaterThan(0);
    expect(bySeverity('risky')).toBeGreaterThan(0);
    expect(bySeverity('additive')).toBeGreaterThan(corpus.length / 2);
  });
});
