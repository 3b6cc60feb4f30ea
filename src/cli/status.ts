import type { WorkflowHandle } from '@temporalio/client';
import type { DeploymentReport, Progress } from '../shared/report.js';
import { describeOrExplain, EXIT, output, withClient, type GlobalOptions } from './context.js';
import { renderReport, stepLine, waitingLines } from './render.js';

/** A query needs a worker; without one it would wait, so status gives up after a few seconds. */
const QUERY_TIMEOUT_MS = 5_000;

async function progressOf(handle: WorkflowHandle): Promise<Progress | undefined> {
  try {
    return await handle.client.connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handle.query<Progress>('progress'));
  } catch {
    return undefined;
  }
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
        out.line(`${workflowId}: RUNNING, progress unavailable (no worker answered on task queue ${description.taskQueue} within ${QUERY_TIMEOUT_MS / 1000} s)`);
        out.json({ workflowId, status, taskQueue: description.taskQueue, startTime: description.startTime });
        return EXIT.ok;
      }
      out.line(`${workflowId}: ${progress.status}${progress.currentStep ? ` (at ${progress.currentStep})` : ''}`);
      progress.steps.forEach((s) => out.line(`  ${stepLine(s)}`));
      if (progress.waitingFor) waitingLines(workflowId, progress.waitingFor).forEach((l) => out.line(l));
      out.json({ workflowId, status, progress });
      return EXIT.ok;
    }
    if (status === 'COMPLETED') {
      const report = (await handle.result()) as DeploymentReport;
      out.line(renderReport(report));
      out.json({ workflowId, status, report });
      return EXIT.ok;
    }
    const error = await handle.result().then(() => undefined, (err: { cause?: Error; message: string }) => err.cause?.message ?? err.message);
    out.line(`${workflowId}: ${status}${error ? ` — ${error}` : ''}`);
    out.json({ workflowId, status, ...(error ? { error } : {}) });
    return EXIT.ok;
  });
}
