import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { rules } from '../../src/lint/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const ruleFiles = readdirSync(join(root, 'src/lint/rules'))
  .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
  .map((f) => f.replace(/\.ts$/, ''));

// squawk's checklist for a new rule, as a test: registered, documented, tested, unique.
describe('rule registry', () => {
  it('registers every rule file, and nothing else', () => {
    expect(rules.map((r) => r.id).sort()).toEqual([...ruleFiles].sort());
  });

  it('has unique kebab-case ids', () => {
    const ids = rules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z]+(-[a-z]+)*$/);
  });

  it.each(rules.map((r) => [r.id, r] as const))(
    '%s: its file exports it, with a doc page, a test file and a line in docs/lint.md',
    async (id, rule) => {
      const mod = (await import(/* @vite-ignore */ `../../src/lint/rules/${id}.js`)) as Record<string, unknown>;
      expect(Object.values(mod)).toContain(rule);
      expect(['destructive', 'risky', 'additive', 'notice', 'error']).toContain(rule.severity);
      expect(rule.summary.length).toBeGreaterThan(20);
      expect(rule.safer.length).toBeGreaterThan(20);

      const doc = join(root, 'docs/lint', `${id}.md`);
      expect(existsSync(doc), doc).toBe(true);
      const text = readFileSync(doc, 'utf8');
      expect(text.split('\n')[0]).toBe(`# ${id} (${rule.severity})`);
      expect(text).toMatch(/^## Problem$/m);
      expect(text).toMatch(/^## Safer alternative$/m);
      expect(text).toMatch(/^Instead of[^\n]*:\n```sql\n[\s\S]+?```\nUse[^\n]*:\n```/m);

      const test = join(root, 'test/lint/rules', `${id}.test.ts`);
      expect(existsSync(test), test).toBe(true);
      expect(readFileSync(test, 'utf8')).toContain(`ruleTable(`);

      expect(readFileSync(join(root, 'docs/lint.md'), 'utf8')).toContain(
        `| [\`${id}\`](lint/${id}.md) | ${rule.severity} |`,
      );
    },
  );
});
