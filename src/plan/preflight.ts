import type { ReleaseManifest, TargetConfig } from '../config/schema.js';
import { migrationGate, type MigrationGateFacts } from './migrationGate.js';

/** Every env var NAME the target release needs: the config's and the release manifest's. */
export function requiredEnvNames(
  target: Pick<TargetConfig, 'requiredEnv' | 'database'>,
  manifest: ReleaseManifest,
): string[] {
  return [...new Set([target.database.urlEnv, ...target.requiredEnv, ...manifest.requiredEnv])];
}

export function requiredPackages(target: Pick<TargetConfig, 'requiredPackages'>, manifest: ReleaseManifest): string[] {
  return [...new Set([...target.requiredPackages, ...manifest.requiredPackages])];
}

export type MigrationView = Pick<MigrationGateFacts, 'status' | 'failed' | 'unknownToTarget'> &
  Partial<MigrationGateFacts>;

/**
 * Whether the migration state allows an UNATTENDED deployment: the gate's blockers, and
 * everything it would ask a person to approve (a failed migration, drift, migrations the target
 * does not know), stop it before anything changes.
 */
export function migrationBlocker(m: MigrationView): { what: string; remedy: string } | undefined {
  const gate = migrationGate(m);
  const first = gate.blockers[0] ?? gate.approvals[0];
  return first && { what: 'what' in first ? first.what : first.detail, remedy: first.remedy };
}

/** Workflow ids may hold anything; file and database names derived from them may not. */
export function deploymentIdFor(workflowId: string, runId: string): string {
  const safe = workflowId.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 80);
  return `${safe}-${runId.slice(0, 8)}`;
}
