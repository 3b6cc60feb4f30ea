import type { ReleaseManifest, TargetConfig } from '../config/schema.js';

/** Every env var NAME the target release needs: the config's and the release manifest's. */
export function requiredEnvNames(target: Pick<TargetConfig, 'requiredEnv' | 'database'>, manifest: ReleaseManifest): string[] {
  return [...new Set([target.database.urlEnv, ...target.requiredEnv, ...manifest.requiredEnv])];
}

export function requiredPackages(target: Pick<TargetConfig, 'requiredPackages'>, manifest: ReleaseManifest): string[] {
  return [...new Set([...target.requiredPackages, ...manifest.requiredPackages])];
}

export interface MigrationView {
  status: 'clean' | 'pending' | 'failed' | 'drift' | 'unknown';
  failed: string[];
  unknownToTarget: string[];
}

/**
 * Whether the migration state allows an unattended deployment. A failed migration, drift or
 * migrations the target does not know stop it before anything changes.
 */
export function migrationBlocker(m: MigrationView): { what: string; remedy: string } | undefined {
  if (m.status === 'failed' || m.failed.length > 0) {
    return { what: `a previous migration failed and is unresolved (${m.failed.join(', ') || 'see prisma migrate status'})`, remedy: 'resolve it by hand (prisma migrate resolve --rolled-back <name> after undoing it), then deploy again' };
  }
  if (m.status === 'drift') {
    return { what: 'the database schema has drifted from the migration history', remedy: 'reconcile the schema with the migrations by hand before deploying' };
  }
  if (m.unknownToTarget.length > 0) {
    return { what: `the database has migrations the target release does not contain: ${m.unknownToTarget.join(', ')}`, remedy: 'deploy a release that contains them (a downgrade needs a manual plan)' };
  }
  if (m.status === 'unknown') {
    return { what: 'prisma migrate status gave an answer safe-deploy does not understand', remedy: 'run prisma migrate status by hand and fix what it reports' };
  }
  return undefined;
}

/** Workflow ids may hold anything; file and database names derived from them may not. */
export function deploymentIdFor(workflowId: string, runId: string): string {
  const safe = workflowId.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 80);
  return `${safe}-${runId.slice(0, 8)}`;
}
