import type { DataInventory, MigrationTriage, Resolution } from '../shared/inventoryAndTriage.js';
import type { DecisionAction } from './decision.js';
import { describeTriage, triageRemedy } from './migrationTriage.js';
import type { RiskGate } from './riskGate.js';

/** What the pre-checks found for the two fixes: a triage of the failed migration, the data of a drifted database. */
export interface MigrationFixFacts {
  triage?: MigrationTriage;
  inventory?: DataInventory;
}

export interface FixedGate extends RiskGate {
  /** The `failed-migration` gate: the one resolution a person may approve. */
  resolution?: { migration: string; action: Resolution; question: string };
  /** The actions the `migration-risk` gate offers beyond a plain approval. */
  offered: { actions: DecisionAction[] };
}

const LISTED_TABLES = 5;

/** "3 tables, 24 kB: public.messages 6 rows, public.users 3 rows, …; users: public.users 3". */
export function describeInventory(i: DataInventory): string {
  const rows = (t: DataInventory['tables'][number]) =>
    `${t.rows}${t.more ? '+' : ''} rows${t.more && t.estimatedRows > 0 ? ` (about ${t.estimatedRows})` : ''}`;
  const tables = i.tables
    .slice(0, LISTED_TABLES)
    .map((t) => `${t.name} ${rows(t)}`)
    .join(', ');
  const more = i.tableCount > LISTED_TABLES ? `, and ${i.tableCount - LISTED_TABLES} more` : '';
  const users = i.users.length ? `; users: ${i.users.map((u) => `${u.table} ${u.rows}`).join(', ')}` : '';
  return `${i.tableCount} tables, ${i.totalBytes} bytes: ${tables}${more}${users}`;
}

/**
 * Lifts or sharpens what riskGate decided, with what the triage and the inventory found:
 * - a failed migration whose triage proposes a resolution is no longer a blocker but a
 *   `failed-migration` question (approve needs that action); without a proposal it stays a
 *   blocker whose remedy lists the statements and the exact SQL and commands;
 * - drift (runbook Option B, `drift.resetMaxRows` > 0): every table within the threshold, the
 *   `migration-risk` gate offers `reset`; a table above it stops the deployment with the inventory
 *   for a DBA. Without Option B, drift stays an approval to deploy over it, with the inventory.
 */
export function withMigrationFixes(gate: RiskGate, f: MigrationFixFacts): FixedGate {
  const blockers = [...gate.blockers];
  const approvals = [...gate.approvals];
  const offered: DecisionAction[] = [];
  let resolution: FixedGate['resolution'];

  const failed = blockers.filter((b) => b.reason === 'failed-migration');
  if (f.triage && failed.length === 1) {
    const at = blockers.indexOf(failed[0]!);
    if (f.triage.proposal) {
      blockers.splice(at, 1);
      resolution = {
        migration: f.triage.migration,
        action: f.triage.proposal,
        question:
          `${describeTriage(f.triage)}. Approve with --action ${f.triage.proposal} to run prisma migrate ` +
          `resolve ${f.triage.proposal === 'resolve-applied' ? '--applied' : '--rolled-back'} ` +
          `${f.triage.migration} (before the backup), then deploy`,
      };
    } else {
      blockers[at] = {
        reason: 'failed-migration',
        what: describeTriage(f.triage),
        remedy: triageRemedy(f.triage).join('; '),
      };
    }
  }

  const i = f.inventory;
  if (i) {
    const drift = approvals.findIndex((a) => a.reason === 'schema-drift');
    const data = describeInventory(i);
    if (i.maxRows > 0 && !i.withinThreshold) {
      blockers.push({
        reason: 'drift-data',
        what:
          `production's schema has drifted from its ` +
          `migrations${drift >= 0 ? ` (${approvals[drift]!.detail})` : ''}, and it holds more data than ` +
          `drift.resetMaxRows (${i.maxRows} rows a table) lets a reset throw away: ` +
          `${i.overThreshold.join(', ')}. Data: ${data}`,
        remedy:
          'a DBA reconciles the schema with the migrations (puts the hand-made changes into a migration, or ' +
          'undoes them) with the inventory in this report; nothing was changed',
      });
    } else if (drift >= 0) {
      const reset = i.withinThreshold
        ? `; or approve with --action reset: back up, then reset the database (prisma migrate reset: every ` +
          `row is lost, the backup keeps them) and apply the target's migrations`
        : '';
      approvals[drift] = { ...approvals[drift]!, detail: `${approvals[drift]!.detail}. Data: ${data}${reset}` };
      if (i.withinThreshold) offered.push('reset');
    }
  }
  return { ...gate, blockers, approvals, resolution, offered: { actions: offered } };
}
