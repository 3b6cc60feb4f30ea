import type { WorkflowHandle } from '@temporalio/client';
import type { Progress } from '../shared/report.js';
import { describeOrExplain, EXIT, EXIT_CODES, output, withClient, type GlobalOptions } from './context.js';
import { deploymentResult } from './deploymentResult.js';
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

/** Activities the server is retrying (attempt > 1), with why the last attempt failed ("waiting for PostgreSQL at …"). */
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

/** A deployment's state: live progress while it runs, the report once it ended. */
export async function runStatus(g: GlobalOptions, workflowId: string): Promise<number> {
  const out = output(g.json);
  return withClient(g, async (client) => {
    const handle = client.workflow.getHandle(workflowId);
    const description = await describeOrExplain(handle);
    const status = description.status.name;
    if (status === 'RUNNING') {
      const progress = await progressOf(handle);
      if (!progress) {
        out.line(
          `${workflowId}: RUNNING, progress unavailable (no worker answered on task queue ${description.taskQueue} within ${QUERY_TIMEOUT_MS / 1000} s)`,
        );
        out.json({ workflowId, status, taskQueue: description.taskQueue, startTime: description.startTime });
        return EXIT.ok;
      }
      out.line(`${workflowId}: ${progress.status}${progress.currentStep ? ` (at ${progress.currentStep})` : ''}`);
      progress.steps.forEach((s) => out.line(`  ${stepLine(s)}`));
      if (progress.waitingFor) waitingLines(workflowId, progress.waitingFor).forEach((l) => out.line(l));
      // A step retrying through an outage: the workflow cannot see it, the server can.
      const retrying = retryingActivities(description.raw.pendingActivities ?? []);
      retrying.forEach((r) =>
        out.line(
          `  ↻ ${r.activity}: attempt ${r.attempt}${r.maximumAttempts ? ` of ${r.maximumAttempts}` : ''} — ${r.lastFailure}`,
        ),
      );
      out.json({ workflowId, status, progress, retrying });
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
      out.line(renderReport(report));
      out.json({ workflowId, status, report });
      out.line(outcomeLine(workflowId, report.outcome));
      return EXIT_CODES[report.outcome];
    }
    const { error } = ended;
    out.line(`${workflowId}: ${status}${error ? ` — ${error}` : ''}`);
    out.json({ workflowId, status, ...(error ? { error } : {}) });
    return EXIT.ok;
  });
}
