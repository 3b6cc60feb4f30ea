import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { FAILED_OUTCOMES, type DeploymentReport } from '../shared/report.js';

const FAILURE_TYPES: readonly string[] = Object.values(FAILED_OUTCOMES);

/**
 * The report a deployment's failure carries: a rolled-back, aborted or failed rollback fails the
 * workflow (DeploymentRolledBack, DeploymentAborted, RollbackFailed) with the report in its details.
 */
export function reportFromFailure(err: unknown): DeploymentReport | undefined {
  const cause = err instanceof WorkflowFailedError ? err.cause : err;
  if (!(cause instanceof ApplicationFailure) || !FAILURE_TYPES.includes(cause.type ?? '')) return undefined;
  return cause.details?.[0] as DeploymentReport | undefined;
}

/**
 * A deployment's report however it ended: its result, or the report its failure
 * carries. Other failures (a refused request, a termination) are thrown.
 */
export async function deploymentResult(handle: Pick<WorkflowHandle, 'result'>): Promise<DeploymentReport> {
  try {
    return (await handle.result()) as DeploymentReport;
  } catch (err) {
    const report = reportFromFailure(err);
    if (report) return report;
    throw err;
  }
}
