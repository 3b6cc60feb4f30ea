import type { WorkflowHandle } from '@temporalio/client';
import type { DeploymentReport, Progress } from '../shared/report.js';
import { ProgressPrinter } from './render.js';

/** Prints each step as it starts and ends (polling the `progress` query) until the result arrives. */
export async function followDeployment(handle: WorkflowHandle, out: (line: string) => void, everyMs = 500): Promise<DeploymentReport> {
  const printer = new ProgressPrinter(out);
  let done = false;
  const result = handle.result().finally(() => { done = true; }) as Promise<DeploymentReport>;
  while (!done) {
    try {
      printer.update(await handle.query<Progress>('progress'));
    } catch {
      /* not started yet, or finished between two polls */
    }
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, everyMs))]);
  }
  const report = await result;
  printer.update({ deploymentId: report.deploymentId, status: report.outcome, steps: report.steps });
  return report;
}
