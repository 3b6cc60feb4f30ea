import type { DriftReport } from '../../shared/migrationFacts.js';
import type { MigrationHistory } from '../../shared/migrationFacts.js';
import {
  describeInventory,
  withMigrationFixes,
  type FixedGate,
  type MigrationFixFacts,
} from '../../plan/migrationFixGate.js';
import type { RiskGate } from '../../plan/riskGate.js';
import { changing } from '../activities.js';
import type { Deployment } from '../deployment.js';

/**
 * End of the pre-checks: a failed migration is triaged (which of its statements took effect), a
 * drifted database inventoried (what a reset would throw away), both read only; then the gate
 * with what they found (plan/migrationFixGate.ts). Nothing runs when nothing failed or drifted.
 */
export async function triageMigrationFixes(
  deployment: Deployment,
  found: { history: MigrationHistory; drift: DriftReport; targetCommit: string },
  gate: RiskGate,
): Promise<FixedGate> {
  const { deploymentId, run, step } = deployment;
  const { history, targetCommit } = found;
  const first = deployment.hosts[0]!;
  const target = first.target;
  const facts: MigrationFixFacts = {};
  if (history.failed.length === 1) {
    const migration = history.failed[0]!;
    const summary = `Check which statements of the failed ${migration} took effect`;
    const input = { deploymentId, target, migration, targetCommit };
    facts.triage = await step(first, 'triage-migration', summary, changing.triageFailedMigration, input, (triage) =>
      (triage.proposal ? `proposal: ${triage.proposal}` : `no resolution: ${triage.grounds}`).slice(0, 300),
    );
    run.report.failedMigration = facts.triage;
  } else if (found.drift.drift && history.failed.length === 0) {
    const summary = 'Count the rows a reset would throw away (read only)';
    facts.inventory = await step(first, 'inspect-data', summary, changing.inspectData, { target }, (inventory) =>
      describeInventory(inventory).slice(0, 300),
    );
  }
  const fixed = withMigrationFixes(gate, facts);
  if (facts.inventory)
    run.report.drift = { inventory: facts.inventory, resetOffered: fixed.offered.actions.includes('reset') };
  return fixed;
}
