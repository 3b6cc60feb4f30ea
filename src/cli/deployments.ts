import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { decodePayloadAt } from './payloads.js';
import type { DecisionRecord, DeploymentReport } from '../shared/report.js';
import { DEPLOY_APP, DEPLOY_ENVIRONMENT, DEPLOY_OUTCOME, DEPLOY_REF } from '../shared/searchAttributes.js';
import { deploymentResult } from './deploymentResult.js';

/**
 * What an operator asks of one deployment (`history`, `current`, `status`), read from Temporal
 * alone: the request from the first event of its history (who, why — the same for a CLI start, a
 * schedule or `temporal workflow start`), the rest from its report. Temporal is the audit log.
 */
export interface DeploymentRecord {
  workflowId: string;
  status: string;
  app?: string;
  environment?: string;
  ref?: string;
  outcome?: string;
  dryRun?: boolean;
  requestedBy?: string;
  reason?: string;
  /** From → to: the release names and commits the report recorded (absent when it ended before resolving them). */
  release?: DeploymentReport['release'];
  /** Approvals asked and given (or refused), with who, why and when. */
  approvals: DecisionRecord[];
  /** Why it rolled back, and who asked when a person did. */
  rollback?: { reason: string; requestedBy?: string };
  /** Why it failed, for one that failed (a rollback's cause, a refusal such as a freeze). */
  error?: string;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  /** When the target release was verified live: the end of `verify` (deployed runs only). */
  liveSince?: string;
  /** The schedule that started it, if one did. */
  scheduleId?: string;
}

export interface StartedRequest {
  requestedBy?: string;
  reason?: string;
  dryRun?: boolean;
}

/**
 * The deployment's request, as it was started: the first event's
 * input (one event fetched, decoded with the client's converter).
 */
export async function startedRequest(client: Client, workflowId: string, runId?: string): Promise<StartedRequest> {
  const page = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId },
    maximumPageSize: 1,
  });
  const started = page.history?.events?.[0]?.workflowExecutionStartedEventAttributes;
  const input = await decodePayloadAt<unknown>(client.options.loadedDataConverter, 0, started?.input?.payloads).catch(
    () => undefined,
  );
  if (typeof input !== 'object' || input === null) return {};
  const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  const r = input as Record<string, unknown>;
  return { requestedBy: text(r.requestedBy), reason: text(r.reason), dryRun: r.dryRun === true };
}

/** The end of the last forward `verify` that passed: the moment the release was proven live. */
export function liveSince(report: DeploymentReport): string {
  const verify = report.steps.findLast((s) => s.name === 'verify' && s.phase === 'deploy' && s.status === 'ok');
  if (!verify) return report.finishedAt;
  return new Date(Date.parse(verify.startedAt) + (verify.durationMs ?? 0)).toISOString();
}

/** One deployment as an operator reads it: its request, then its report once it ended. */
export async function readDeployment(client: Client, w: WorkflowExecutionInfo): Promise<DeploymentRecord> {
  const sa = w.typedSearchAttributes;
  const request = await startedRequest(client, w.workflowId, w.runId).catch((): StartedRequest => ({}));
  const scheduleId = w.searchAttributes?.TemporalScheduledById?.[0];
  const record: DeploymentRecord = {
    workflowId: w.workflowId,
    status: w.status.name,
    app: sa.get(DEPLOY_APP),
    environment: sa.get(DEPLOY_ENVIRONMENT),
    ref: sa.get(DEPLOY_REF),
    outcome: sa.get(DEPLOY_OUTCOME),
    ...request,
    approvals: [],
    startedAt: w.startTime.toISOString(),
    ...(w.closeTime ? { finishedAt: w.closeTime.toISOString() } : {}),
    ...(w.closeTime ? { durationMs: w.closeTime.getTime() - w.startTime.getTime() } : {}),
    ...(typeof scheduleId === 'string' ? { scheduleId } : {}),
  };
  if (w.status.name === 'RUNNING') return record;
  try {
    return withReport(record, await deploymentResult(client.workflow.getHandle(w.workflowId, w.runId)));
  } catch (err) {
    // Ended without a report: refused (bad request, a freeze), cancelled before it began, terminated.
    const e = err as { cause?: Error; message: string };
    return { ...record, error: e.cause?.message ?? e.message };
  }
}

export function withReport(record: DeploymentRecord, report: DeploymentReport): DeploymentRecord {
  return {
    ...record,
    app: record.app ?? report.app,
    environment: record.environment ?? report.environment,
    ref: record.ref ?? report.ref,
    outcome: report.outcome,
    ...(report.release ? { release: report.release } : {}),
    approvals: report.decisions,
    ...(report.rollback
      ? { rollback: { reason: report.rollback.reason, requestedBy: report.rollback.requestedBy } }
      : {}),
    ...(report.error ? { error: report.error.message } : {}),
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    durationMs: report.durationMs,
    ...(report.outcome === 'deployed' ? { liveSince: liveSince(report) } : {}),
  };
}

/**
 * The safeDeployment runs of an app+environment, newest first (the
 * `list` query, the same in `temporal workflow list --query`).
 */
export function deploymentsQuery(app: string, environment: string): string {
  return (
    `WorkflowType = 'safeDeployment' AND ${DEPLOY_APP.name} = '${app}' AND ${DEPLOY_ENVIRONMENT.name} = ` +
    `'${environment}'`
  );
}

/** Visibility's order is the server's; people want newest first by start. */
export async function listRuns(client: Client, query: string, limit: number): Promise<WorkflowExecutionInfo[]> {
  const runs: WorkflowExecutionInfo[] = [];
  for await (const w of client.workflow.list({ query, pageSize: Math.min(limit, 1000) })) {
    runs.push(w);
    if (runs.length >= limit) break;
  }
  return runs.sort((a, b) => b.startTime.getTime() - a.startTime.getTime());
}
