/**
 * What the migration pre-checks allow: blockers stop the deployment before anything changes;
 * approvals make the workflow wait for an `approve` update. Pure, so the workflow calls it.
 */

type Status = 'clean' | 'pending' | 'failed' | 'drift' | 'unknown';
type State = 'applied' | 'pending' | 'failed' | 'rolled-back' | 'edited' | 'missing-locally';

/** inspectMigrations' or inspectMigrationHistory's result, and detectSchemaDrift's when it ran. */
export interface MigrationGateFacts {
  status: Status;
  failed: string[];
  unknownToTarget: string[];
  prismaStatus?: Status;
  migrations?: { name: string; state: State }[];
  disagreements?: string[];
  drift?: {
    drift: boolean;
    complete: boolean;
    differences: { kind: string; object: string; expected: string | null; actual: string | null }[];
    warnings: string[];
  };
}

export type ApprovalReason =
  | 'failed-migration'
  | 'edited-migration'
  | 'missing-locally'
  | 'prisma-reports-drift'
  | 'schema-drift'
  | 'drift-check-incomplete'
  | 'status-disagreement';

/** `reason` names blockers that a later step may lift (a failed migration a triage can resolve). */
export interface GateBlocker {
  what: string;
  remedy: string;
  reason?: string;
}
export interface GateApproval {
  reason: ApprovalReason;
  detail: string;
  remedy: string;
}
export interface MigrationGate {
  blockers: GateBlocker[];
  approvals: GateApproval[];
}

const SHOWN_DIFFERENCES = 10;
const union = (...lists: string[][]) => [...new Set(lists.flat())];
const named = (facts: MigrationGateFacts, state: State) =>
  (facts.migrations ?? []).filter((m) => m.state === state).map((m) => m.name);

export function describeDifference(d: {
  kind: string;
  object: string;
  expected: string | null;
  actual: string | null;
}): string {
  if (d.expected === null) return `${d.kind} ${d.object} is not in the migrations (production: ${d.actual})`;
  if (d.actual === null) return `${d.kind} ${d.object} is missing in production (migrations: ${d.expected})`;
  return `${d.kind} ${d.object} differs (migrations: ${d.expected}; production: ${d.actual})`;
}

export function migrationGate(facts: MigrationGateFacts): MigrationGate {
  const blockers: GateBlocker[] = [];
  const approvals: GateApproval[] = [];

  if ((facts.prismaStatus ?? facts.status) === 'unknown') {
    blockers.push({
      what: 'prisma migrate status gave an answer safe-deploy does not understand',
      remedy: 'run prisma migrate status by hand and fix what it reports',
    });
  }
  const failed = union(facts.failed, named(facts, 'failed'));
  if (failed.length > 0 || facts.status === 'failed') {
    approvals.push({
      reason: 'failed-migration',
      detail:
        `a previous migration failed and is unresolved (${failed.join(', ') || 'see prisma migrate status'}); ` +
        `prisma migrate deploy refuses to run until it is resolved (P3009)`,
      remedy: 'resolve it by hand (prisma migrate resolve --rolled-back <name> after undoing it), then deploy again',
    });
  }
  const edited = named(facts, 'edited');
  if (edited.length > 0) {
    approvals.push({
      reason: 'edited-migration',
      detail:
        `migrations were changed after they were applied: ${edited.join(', ')} (the checksum in ` +
        `_prisma_migrations differs from the release's migration.sql)`,
      remedy: 'restore the applied migration.sql in the release and put the change in a new migration',
    });
  }
  const missing = union(facts.unknownToTarget, named(facts, 'missing-locally'));
  if (missing.length > 0) {
    approvals.push({
      reason: 'missing-locally',
      detail: `the database has migrations the target release does not contain: ${missing.join(', ')}`,
      remedy: 'deploy a release that contains them (a downgrade needs a manual plan)',
    });
  }
  if (facts.status === 'drift' || facts.prismaStatus === 'drift') {
    approvals.push({
      reason: 'prisma-reports-drift',
      detail: 'prisma migrate status says the database has drifted from the migration history',
      remedy: 'reconcile the schema with the migrations by hand before deploying',
    });
  }
  if (facts.drift?.drift) {
    const shown = facts.drift.differences.slice(0, SHOWN_DIFFERENCES).map(describeDifference);
    const more = facts.drift.differences.length - shown.length;
    approvals.push({
      reason: 'schema-drift',
      detail:
        `production's schema differs from what its migrations build: ` +
        `${shown.join('; ')}${more > 0 ? `; and ${more} more` : ''}`,
      remedy: 'put the hand-made changes into a migration (or undo them) before deploying',
    });
  }
  if (facts.drift && !facts.drift.complete) {
    approvals.push({
      reason: 'drift-check-incomplete',
      detail: `the drift check could not replay every applied migration: ${facts.drift.warnings.join('; ')}`,
      remedy: 'compare the schema with the migrations by hand',
    });
  }
  for (const d of facts.disagreements ?? []) {
    approvals.push({
      reason: 'status-disagreement',
      detail: d,
      remedy: 'run prisma migrate status by hand and read _prisma_migrations',
    });
  }
  return { blockers, approvals };
}
