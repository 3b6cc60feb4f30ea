import { describe, expect, it } from 'vitest';
import { lintMigration } from '../../src/lint/index.js';
import type { Finding, Rule } from '../../src/lint/types.js';

export interface Flagged {
  sql: string;
  /** How many findings of this rule (default 1). */
  count?: number;
  /** Line of the first finding. */
  line?: number;
  message?: RegExp;
}

/** Runs only `rule` over a migration (the context is built as usual). */
export function findingsOf(rule: Rule, sql: string): Finding[] {
  return lintMigration('20260101000000_case', sql, undefined, [rule]).findings;
}

/**
 * A rule's table-driven test: every `flagged` migration yields the rule's findings (with its
 * severity, the statement, the line and the safer way), every `passes` migration yields none.
 */
export function ruleTable(rule: Rule, cases: { flagged: (string | Flagged)[]; passes: string[] }): void {
  describe(rule.id, () => {
    const flagged = cases.flagged.map((c) => (typeof c === 'string' ? { sql: c } : c));
    it.each(flagged)('flags: $sql', (c) => {
      const found = findingsOf(rule, c.sql);
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
    it.each(cases.passes)('passes: %s', (sql) => {
      expect(findingsOf(rule, sql)).toEqual([]);
    });
  });
}
