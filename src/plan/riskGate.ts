import type { LintReport } from '../lint/types.js';
import type { GateApproval, GateBlocker, MigrationGate } from './migrationGate.js';

export interface RiskGate {
  blockers: GateBlocker[];
  approvals: { reason: string; detail: string; remedy: string }[];
  /** Every pending migration is additive (notices aside): the condition for a code-only rollback. */
  additiveOnly: boolean;
}

/**
 * Everything that must stop a deployment, or wait for a person, before production is touched:
 * the migration history and drift (migrationGate) and the lint of the pending migrations.
 * A failed migration is a blocker: `prisma migrate deploy` refuses to run over it (P3009);
 * withMigrationFixes (migrationFixes.ts) turns it into a question when a triage can resolve it.
 */
export function riskGate(migrations: MigrationGate, lint: LintReport): RiskGate {
  const blockers = [...migrations.blockers];
  const approvals: RiskGate['approvals'] = [];
  for (const a of migrations.approvals as GateApproval[]) {
    if (a.reason === 'failed-migration') blockers.push({ reason: a.reason, what: a.detail, remedy: a.remedy });
    else approvals.push(a);
  }
  for (const m of lint.migrations) {
    if (m.severity !== 'destructive' && m.severity !== 'invalid') continue;
    const worst = m.findings.filter((f) => f.severity === 'destructive' || f.severity === 'error');
    approvals.push({
      reason: m.severity === 'invalid' ? 'invalid-migration' : 'destructive-migration',
      detail:
        `${m.name} is ${m.severity}: ` +
        `${worst.map((f) => `${f.rule} at line ${f.line} (${f.statement.slice(0, 80)}): ${f.message}`).join('; ')}`,
      remedy:
        worst
          .map((f) => f.safer)
          .filter(Boolean)
          .join(' ') || 'review the migration',
    });
  }
  return { blockers, approvals, additiveOnly: lint.migrations.every((m) => m.severity === 'additive') };
}

/** The question put to a person at the migration gate. */
export const describeApprovals = (approvals: RiskGate['approvals']) =>
  approvals.map((a, i) => `${i + 1}. [${a.reason}] ${a.detail}`).join(' ');
