import type { OfferedActions } from '../../plan/decision.js';
import { describeApprovals } from '../../plan/riskGate.js';
import { durationMs } from '../../shared/duration.js';
import { deployFailure, FailureType } from '../../shared/errors.js';
import type { Deployment, Runbook } from '../deployment.js';
import type { GateResult } from '../gates.js';

/**
 * The `approval` step: opens `gate` and waits for a person (approval.timeout). A rejection or no
 * answer in time stops the deployment with nothing changed; `subject` says what was to be approved.
 */
export function waitForApproval(
  deployment: Deployment,
  ask: { summary: string; gate: string; question: string; offered: OfferedActions; subject?: string },
): Promise<GateResult> {
  const timeout = deployment.hosts[0]!.target.approval.timeout;
  return deployment.run.step(
    'approval',
    ask.summary,
    async () => {
      const answer = await deployment.gates.ask(ask.gate, ask.question, durationMs(timeout), ask.offered);
      if (answer.decision === 'rejected')
        throw deployFailure(FailureType.ApprovalRejected, {
          step: 'approval',
          what: `${answer.by} rejected ${ask.subject ?? 'the deployment'}: ${answer.reason}`,
          remedy: 'nothing was changed',
          retryable: false,
        });
      if (answer.decision === 'timed-out')
        throw deployFailure(FailureType.ApprovalTimedOut, {
          step: 'approval',
          what: `nobody approved ${ask.subject ? `${ask.subject} ` : ''}within ${timeout}`,
          remedy: 'nothing was changed; start again when someone can approve',
          retryable: false,
        });
      return answer;
    },
    (answer) => `approved by ${answer.by}: ${answer.reason}${answer.action ? ` (${answer.action})` : ''}`,
  );
}

/** A dry run does not wait at a gate: its report records what a real deployment would ask. */
export function recordDryRunGate(deployment: Deployment, gate: string, asked: string): void {
  deployment.run.report.decisions.push({
    gate,
    asked,
    decision: 'timed-out',
    reason: 'a dry run does not wait: a real deployment would ask this',
    at: new Date().toISOString(),
  });
}

/** The `migration-risk` gate (drift, destructive SQL, a reset offered): who approved, if it was asked. */
export async function approveMigrationRisks(deployment: Runbook): Promise<string | undefined> {
  const { gate } = deployment;
  if (gate.approvals.length === 0) return undefined;
  if (deployment.request.dryRun) {
    recordDryRunGate(deployment, 'migration-risk', describeApprovals(gate.approvals));
    return undefined;
  }
  const answer = await waitForApproval(deployment, {
    summary: 'Wait for a person to approve the migration risks',
    gate: 'migration-risk',
    question: describeApprovals(gate.approvals),
    offered: gate.offered,
  });
  return deployment.fixes.approved(answer);
}
