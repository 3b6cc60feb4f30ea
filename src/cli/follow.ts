import type { WorkflowHandle } from '@temporalio/client';
import { CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import type { DeploymentReport, Progress } from '../shared/report.js';
import { EXIT, EXIT_CODES, output } from './context.js';
import { deploymentResult } from './deploymentResult.js';
import { LiveProgress } from './live.js';
import { outcomeLine, ProgressPrinter, renderReport, type ProgressView } from './render.js';

/** A live line on a terminal; plain lines for logs, CI and pipes; nothing with --json. */
export function progressView(
  workflowId: string,
  json: boolean | undefined,
  pace?: (p: Progress) => string,
): ProgressView {
  if (json) return { update() {}, close() {} };
  const tty = process.stdout.isTTY && !process.env.CI && process.env.TERM !== 'dumb';
  return tty
    ? new LiveProgress(process.stdout, workflowId, Date.now, 100, pace)
    : new ProgressPrinter((l) => console.log(l), workflowId, pace);
}

/** Shows each step as it starts and ends (polling the `progress` query) until the result arrives. */
export async function followDeployment(
  handle: WorkflowHandle,
  view: ProgressView | ((line: string) => void),
  everyMs = 500,
): Promise<DeploymentReport> {
  const shown = typeof view === 'function' ? new ProgressPrinter(view, handle.workflowId) : view;
  let done = false;
  const result = deploymentResult(handle).finally(() => {
    done = true;
  });
  const settled = result.catch(() => undefined); // handled from the start: it may reject during the first poll
  try {
    while (!done) {
      try {
        shown.update(await handle.query<Progress>('progress'));
      } catch {
        /* not started yet, or finished between two polls */
      }
      await Promise.race([settled, new Promise((r) => setTimeout(r, everyMs))]);
    }
    const report = await result;
    shown.update({ deploymentId: report.deploymentId, status: report.outcome, steps: report.steps });
    return report;
  } finally {
    shown.close();
  }
}

/**
 * How a deployment that returned no report ended: failed (refused:
 * bad request or config), cancelled, terminated, timed out.
 */
function endedWithoutReport(err: unknown): { status: string; message: string; exitCode: number } {
  const cause = (err as { cause?: Error }).cause;
  const message = cause?.message ?? (err as Error).message;
  if (cause instanceof CancelledFailure) return { status: 'cancelled', message, exitCode: EXIT.failed };
  if (cause instanceof TerminatedFailure) return { status: 'terminated', message, exitCode: EXIT.failed };
  if (cause instanceof TimeoutFailure) return { status: 'timed-out', message, exitCode: EXIT.failed };
  return { status: 'failed', message, exitCode: EXIT.refused };
}

/** Follows to the end, prints the report (or why there is none), returns the exit code of the outcome. */
export async function followToOutcome(
  handle: WorkflowHandle,
  json: boolean | undefined,
  pace?: (p: Progress) => string,
): Promise<number> {
  const out = output(json);
  let report: DeploymentReport;
  try {
    report = await followDeployment(handle, progressView(handle.workflowId, json, pace));
  } catch (err) {
    const ended = endedWithoutReport(err);
    out.line(`deployment ${handle.workflowId} ${ended.status} without a report: ${ended.message}`);
    out.json({ workflowId: handle.workflowId, outcome: ended.status, error: ended.message });
    out.line(outcomeLine(handle.workflowId, ended.status));
    return ended.exitCode;
  }
  out.line(renderReport(report));
  out.json({ workflowId: handle.workflowId, ...report });
  out.line(outcomeLine(handle.workflowId, report.outcome));
  return EXIT_CODES[report.outcome];
}
