import {
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type ScheduleExecutionResult,
} from '@temporalio/client';
import type { DeploymentReport } from '../../shared/report.js';
import { DEPLOY_OUTCOME } from '../../shared/searchAttributes.js';
import { reportFromFailure } from '../deploymentResult.js';

/** How the deployment a schedule started last is doing, or how it ended. */
export interface LastRun {
  workflowId: string;
  /** When the schedule started it (ISO). */
  startedAt: string;
  /** Temporal's status (RUNNING, COMPLETED, FAILED, TERMINATED, CANCELED, TIMED_OUT), or NOT_FOUND past retention. */
  status: string;
  /**
   * The deployment's outcome, once it ended with a report: deployed, dry-run, aborted, rolled-back, rollback-failed.
   */
  outcome?: string;
  /** Why it failed, when it failed without a report (a request or config the worker refused). */
  error?: string;
}

/**
 * The last of a schedule's recent actions, looked up: its status, and its outcome — from the
 * DeployOutcome search attribute the workflow sets when it ends, else from its result (the
 * report) or its failure (a report in the failure's details, or the failure's message).
 */
export async function lastRunOf(
  client: Client,
  recent: ScheduleExecutionResult | undefined,
): Promise<LastRun | undefined> {
  if (!recent) return undefined;
  const { workflowId, firstExecutionRunId } = recent.action.workflow;
  const base = { workflowId, startedAt: recent.takenAt.toISOString() };
  try {
    return { ...base, ...(await lookUp(client, workflowId, firstExecutionRunId)) };
  } catch (err) {
    // Never a guess: the list says it could not tell, and why.
    return { ...base, status: 'UNKNOWN', error: `could not look it up: ${(err as Error).message}` };
  }
}

async function lookUp(
  client: Client,
  workflowId: string,
  firstExecutionRunId: string,
): Promise<Omit<LastRun, 'workflowId' | 'startedAt'>> {
  const handle = client.workflow.getHandle(workflowId, undefined, { firstExecutionRunId });
  let described;
  try {
    described = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { status: 'NOT_FOUND' };
    throw err;
  }
  const status = described.status.name;
  const outcome = described.typedSearchAttributes.get(DEPLOY_OUTCOME);
  if (outcome) return { status, outcome };
  if (status === 'COMPLETED') {
    const report = (await handle.result()) as DeploymentReport | undefined;
    return { status, ...(report?.outcome ? { outcome: report.outcome } : {}) };
  }
  if (status === 'FAILED') {
    const err = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    const report = reportFromFailure(err);
    if (report) return { status, outcome: report.outcome };
    const cause = err instanceof WorkflowFailedError ? err.cause : err;
    return { status, error: (cause as Error | undefined)?.message ?? 'failed' };
  }
  return { status };
}

/** For the list's LAST RUN column: the outcome, else the status ("running", "failed", "terminated"). */
export const lastRunLabel = (r: LastRun | undefined): string =>
  r ? (r.outcome ?? r.status.toLowerCase().replace('_', ' ')) : '-';
