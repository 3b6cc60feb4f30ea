import type { Client, WorkflowHandle } from '@temporalio/client';
import { decodePayloadAt } from './payloads.js';
import { describeFreeze, readFreeze, type FreezeRecord } from '../shared/freeze.js';
import type { DecisionRecord, Progress } from '../shared/report.js';
import { describeOrExplain, EXIT, EXIT_CODES, output, withClient, type GlobalOptions } from './context.js';
import { deploymentResult } from './deploymentResult.js';
import { startedRequest, type StartedRequest } from './deployments.js';
import { approvalLine, requestLine } from './history.js';
import { outcomeLine, renderReport, stepLine, waitingLines } from './render.js';

/** A query needs a worker; without one it would wait, so status gives up after a few seconds. */
const QUERY_TIMEOUT_MS = 5_000;

async function progressOf(handle: WorkflowHandle): Promise<Progress | undefined> {
  try {
    return await handle.client.connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () =>
      handle.query<Progress>('progress'),
    );
  } catch {
    return undefined;
  }
}

interface PendingActivity {
  activityType?: { name?: string | null } | null;
  attempt?: number | null;
  maximumAttempts?: number | null;
  lastFailure?: { message?: string | null } | null;
}

/**
 * Activities the server is retrying (attempt > 1), with why the last attempt failed ("waiting for PostgreSQL at …").
 */
export function retryingActivities(
  pending: readonly PendingActivity[],
): { activity: string; attempt: number; maximumAttempts?: number; lastFailure: string }[] {
  return pending
    .filter((p) => (p.attempt ?? 1) > 1)
    .map((p) => ({
      activity: p.activityType?.name ?? '?',
      attempt: p.attempt ?? 1,
      ...(p.maximumAttempts ? { maximumAttempts: p.maximumAttempts } : {}),
      lastFailure: p.lastFailure?.message ?? 'no failure recorded',
    }));
}

/**
 * The approve/reject updates a running deployment accepted so far, read from its history (the
 * report lists its decisions only once it ends): who, why, which action, when.
 */
export async function approvalsSoFar(client: Client, handle: WorkflowHandle): Promise<DecisionRecord[]> {
  const history = await handle.fetchHistory();
  const converter = client.options.loadedDataConverter;
  // The update's answer names the gate it settled (GateAnswer); accepted and completed share the update id.
  const gates = new Map<string, string>();
  for (const e of history.events ?? []) {
    const completed = e.workflowExecutionUpdateCompletedEventAttributes;
    if (!completed?.meta?.updateId || !completed.outcome?.success) continue;
    const answer = await decodePayloadAt<{ gate?: string }>(converter, 0, completed.outcome.success.payloads).catch(
      () => undefined,
    );
    if (answer?.gate) gates.set(completed.meta.updateId, answer.gate);
  }
  const approvals: DecisionRecord[] = [];
  for (const e of history.events ?? []) {
    const accepted = e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest;
    const name = accepted?.input?.name;
    if (name !== 'approve' && name !== 'reject') continue;
    const d = await decodePayloadAt<{ by?: string; reason?: string; action?: string }>(
      converter,
      0,
      accepted?.input?.args?.payloads,
    ).catch(() => undefined);
    const seconds = Number(e.eventTime?.seconds ?? 0);
    approvals.push({
      gate: gates.get(accepted?.meta?.updateId ?? '') ?? '(open gate)',
      asked: '',
      decision: name === 'approve' ? 'approved' : 'rejected',
      ...(d?.by ? { by: d.by } : {}),
      ...(d?.reason ? { reason: d.reason } : {}),
      ...(d?.action ? { action: d.action } : {}),
      at: new Date(seconds * 1000).toISOString(),
    });
  }
  return approvals;
}

/** Who asked and why, each approval, and the freeze of its app+environment: the lines people ask status for. */
function auditLines(request: StartedRequest, approvals: DecisionRecord[], freeze: FreezeRecord | undefined): string[] {
  return [
    `  ${requestLine(request)}`,
    ...approvals.map((d) => `  ${approvalLine(d)}`),
    ...(freeze ? [`  frozen: ${freeze.app} ${freeze.environment} is ${describeFreeze(freeze)}`] : []),
  ];
}

/** A deployment's state: live progress while it runs, the report once it ended. */
export async function runStatus(g: GlobalOptions, workflowId: string): Promise<number> {
  const out = output(g.json);
  return withClient(g, async (client) => {
    const handle = client.workflow.getHandle(workflowId);
    const description = await describeOrExplain(handle);
    const status = description.status.name;
    const request = await startedRequest(client, workflowId).catch((): StartedRequest => ({}));
    const freezeOf = (app?: string, env?: string) =>
      app && env ? readFreeze(client, app, env).catch(() => undefined) : Promise.resolve(undefined);
    if (status === 'RUNNING') {
      const progress = await progressOf(handle);
      if (!progress) {
        out.line(
          `${workflowId}: RUNNING, progress unavailable (no worker answered on task queue ` +
            `${description.taskQueue} within ${QUERY_TIMEOUT_MS / 1000} s)`,
        );
        out.json({ workflowId, status, taskQueue: description.taskQueue, startTime: description.startTime });
        return EXIT.ok;
      }
      out.line(`${workflowId}: ${progress.status}${progress.currentStep ? ` (at ${progress.currentStep})` : ''}`);
      const approvals = await approvalsSoFar(client, handle).catch((): DecisionRecord[] => []);
      const freeze = await freezeOf(progress.app, progress.environment);
      auditLines(request, approvals, freeze).forEach((l) => out.line(l));
      progress.steps.forEach((s) => out.line(`  ${stepLine(s)}`));
      if (progress.waitingFor) waitingLines(workflowId, progress.waitingFor).forEach((l) => out.line(l));
      // A step retrying through an outage: the workflow cannot see it, the server can.
      const retrying = retryingActivities(description.raw.pendingActivities ?? []);
      retrying.forEach((r) =>
        out.line(
          `  ↻ ${r.activity}: attempt ${r.attempt}${r.maximumAttempts ? ` of ${r.maximumAttempts}` : ''} — ` +
            `${r.lastFailure}`,
        ),
      );
      out.json({ workflowId, status, progress, retrying, request, approvals, ...(freeze ? { freeze } : {}) });
      return EXIT.ok;
    }
    // Ended with a report: completed (deployed, dry run) or failed with the report in its details
    // (rolled back, aborted, rollback failed). The same lines and exit codes as `start`.
    const ended = await deploymentResult(handle).then(
      (report) => ({ report }),
      (err: { cause?: Error; message: string }) => ({ error: err.cause?.message ?? err.message }),
    );
    if ('report' in ended) {
      const { report } = ended;
      const freeze = await freezeOf(report.app, report.environment);
      out.line(renderReport(report));
      auditLines(request, report.decisions, freeze).forEach((l) => out.line(l));
      out.json({ workflowId, status, report, request, ...(freeze ? { freeze } : {}) });
      out.line(outcomeLine(workflowId, report.outcome));
      return EXIT_CODES[report.outcome];
    }
    const { error } = ended;
    out.line(`${workflowId}: ${status}${error ? ` — ${error}` : ''}`);
    out.json({ workflowId, status, ...(error ? { error } : {}) });
    return EXIT.ok;
  });
}
