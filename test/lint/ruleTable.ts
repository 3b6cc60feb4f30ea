import { describe, expect, it } from 'vitest';
import { lintMigrations } from '../../src/lint/index.js';
import type { Finding, Rule } from '../../src/lint/types.js';

export interface Case {
  sql: string;
  /** Migrations applied before this one, in order: what they built counts, their own findings do not. */
  before?: string[];
}

export interface Flagged extends Case {
  /** How many findings of this rule (default 1). */
  count?: number;
  /** Line of the first finding. */
  line?: number;
  message?: RegExp;
}

/** Runs only `rule` over a migration, after `before` (the context is built as usual). */
export function findingsOf(rule: Rule, sql: string, before: string[] = []): Finding[] {
  const history = before.map((b, i) => ({ name: `2025010100000${i}_before`, sql: b }));
  return lintMigrations([...history, { name: '20260101000000_case', sql }], { rules: [rule] }).migrations.at(-1)!
    .findings;
}

/**
 * A rule's table-driven test: every `flagged` migration yields the rule's findings (with its
 * severity, the statement, the line and the safer way), every `passes` migration yields none.
 */
export function ruleTable(rule: Rule, cases: { flagged: (string | Flagged)[]; passes: (string | Case)[] }): void {
  describe(rule.id, () => {
    const flagged = cases.flagged.map((c) => (typeof c === 'string' ? { sql: c } : c));
    it.each(flagged)('flags: $sql', (c) => {
      const found = findingsOf(rule, c.sql, c.before);
      expect(found, 'finding count').toHaveLength(c.count ?? 1);
      for (const f of found) {
        expect(f).toMatchObject({ rule: rule.id, severity: rule.severity, file: '20260101000000_case/migration.sql' });
        expect(f.statement.length).toBeGreaterThan(0);
        expect(c.sql).toContain(f.statement.replace(/…$/, ''));
        expect(f.safer.length).toBeGreaterThan(20);
      }
      if (c.line !== undefined) expect(found[0]?.line).toBe(c.line);
      if (c.message) expect(found[0]?.message).toMatch(c.message);
    });
    const passes = cases.passes.map((c) => (typeof c === 'string' ? { sql: c } : c));
    it.each(passes)('passes: $sql', (c) => {
      expect(findingsOf(rule, c.sql, c.before)).toEqual([]);
    });
  });
}
