import { MigrationContext } from './context.js';
import { parseMigration } from './parse.js';
import { rules as allRules } from './rules/index.js';
import type { Finding, FindingSeverity, LintReport, MigrationLint, MigrationSeverity, Rule } from './types.js';

export interface MigrationSource {
  name: string;
  sql: string;
  /** Shown in findings; default `<name>/migration.sql`. */
  file?: string;
}

const RANK: Record<MigrationSeverity, number> = { additive: 0, risky: 1, destructive: 2, invalid: 3 };

/**
 * The worst of some severities: destructive > risky > additive; a parse `error` (or an `invalid`
 * migration) makes it `invalid`; notices raise nothing. Nothing at all is `additive`.
 */
export function worstSeverity(severities: Iterable<FindingSeverity | MigrationSeverity>): MigrationSeverity {
  let worst: MigrationSeverity = 'additive';
  for (const s of severities) {
    const m: MigrationSeverity | undefined = s === 'error' ? 'invalid' : s === 'notice' ? undefined : s;
    if (m !== undefined && RANK[m] > RANK[worst]) worst = m;
  }
  return worst;
}

/**
 * Lints one migration: parses it once, then runs every rule on every statement in order, with
 * the context of what the statements before it did. Pure and synchronous.
 */
export function lintMigration(name: string, sql: string, file = `${name}/migration.sql`, rules: readonly Rule[] = allRules): MigrationLint {
  const parsed = parseMigration(sql);
  if (!parsed.ok) {
    const { line, message, statement } = parsed.error;
    return {
      name,
      severity: 'invalid',
      findings: [{ rule: 'parse-error', severity: 'error', file, line, statement, message: `does not parse: ${message}`, safer: 'Fix the SQL; PostgreSQL would reject this migration at deploy.' }],
    };
  }
  const ctx = new MigrationContext(parsed.statements.length);
  const findings: Finding[] = [];
  const reported = new Set<string>();
  for (const stmt of parsed.statements) {
    for (const rule of rules) {
      if (rule.oncePerMigration && reported.has(rule.id)) continue;
      for (const v of rule.check(stmt, ctx)) {
        reported.add(rule.id);
        findings.push({ rule: rule.id, severity: rule.severity, file, line: stmt.line, statement: stmt.text, message: v.message, safer: v.safer ?? rule.safer, ...(v.removesRowsOf ? { removesRowsOf: v.removesRowsOf } : {}) });
        if (rule.oncePerMigration) break;
      }
    }
    ctx.record(stmt);
  }
  return { name, severity: worstSeverity(findings.map((f) => f.severity)), findings };
}

/** Lints migrations in the order given (Prisma applies them sorted by folder name). */
export function lintMigrations(items: readonly MigrationSource[]): LintReport {
  return { migrations: items.map((m) => lintMigration(m.name, m.sql, m.file)) };
}
