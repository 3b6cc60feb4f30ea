import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lintMigrations, rules } from '../../src/lint/index.js';

// Each rule page shows the unsafe SQL ("Instead of") and the safe recipe ("Use"). The unsafe SQL
// must be flagged by its rule; the recipe, split into migrations where it says "-- next
// migration", must lint clean (notices aside), each migration on top of the ones before it —
// unless the recipe is a job or a later release (it still deletes data or changes what the
// previous release relies on, which the lint cannot know is now safe).

const root = fileURLToPath(new URL('../..', import.meta.url));
const page = (id: string) => readFileSync(join(root, 'docs/lint', `${id}.md`), 'utf8');

function blocks(text: string): { lead: string; lang: string; body: string }[] {
  return [...text.matchAll(/^((?:Instead of|Use)[^\n]*):\n```(\w+)\n([\s\S]*?)```/gm)].map((m) => ({
    lead: m[1]!,
    lang: m[2]!,
    body: m[3]!,
  }));
}

const LATER = /job|by hand|release N|after the deploy|no migration/i;

describe('the rule docs', () => {
  it.each(rules.map((r) => [r.id, r] as const))('%s: its unsafe example is flagged by it', (id, rule) => {
    const bad = blocks(page(id)).find((b) => b.lead.startsWith('Instead of'))!;
    if (bad.lang !== 'sql') return;
    const found = lintMigrations([{ name: '1_bad', sql: bad.body }], { rules: [rule] }).migrations[0]!.findings;
    expect(found.map((f) => f.rule)).toContain(id);
  });

  const recipes = rules.flatMap((r) => {
    const use = blocks(page(r.id)).find((b) => b.lead.startsWith('Use'));
    return use && use.lang === 'sql' && !LATER.test(use.lead) && r.severity !== 'destructive'
      ? [[r.id, use.body] as const]
      : [];
  });

  it('have recipes to check', () => {
    expect(recipes.map(([id]) => id)).toEqual(
      expect.arrayContaining([
        'set-not-null',
        'unique-on-existing-table',
        'constraint-without-not-valid',
        'enum-value-used-in-transaction',
        'transaction-control',
      ]),
    );
  });

  it.each(recipes)('%s: its recipe, split into migrations as it says, lints clean', (_id, body) => {
    const parts = body.split(/^-- next migration.*$/m);
    const report = lintMigrations(parts.map((sql, i) => ({ name: `${i + 1}_step`, sql })));
    for (const m of report.migrations) {
      expect(
        m.findings.filter((f) => f.severity !== 'notice').map((f) => `${m.name}: ${f.rule} (${f.statement})`),
      ).toEqual([]);
      expect(m.severity).toBe('additive');
    }
  });
});
