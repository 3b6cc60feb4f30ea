import type { DeploymentReport, Progress } from '../shared/report.js';
import { connectClient, output, type GlobalOptions } from './context.js';
import { renderReport, stepLine } from './render.js';

/** A deployment's state: live progress while it runs, the report once it ended. */
export async function runStatus(g: GlobalOptions, workflowId: string): Promise<number> {
  const out = output(g.json);
  const { client, close } = await connectClient(g);
  try {
    const handle = client.workflow.getHandle(workflowId);
    const description = await handle.describe();
    const status = description.status.name;
    if (status === 'RUNNING') {
      const progress = await handle.query<Progress>('progress');
      out.line(`${workflowId}: ${progress.status}${progress.currentStep ? ` (at ${progress.currentStep})` : ''}`);
      progress.steps.forEach((s) => out.line(`  ${stepLine(s)}`));
      out.json({ workflowId, status, progress });
      return 0;
    }
    if (status === 'COMPLETED') {
      const report = (await handle.result()) as DeploymentReport;
      out.line(renderReport(report));
      out.json({ workflowId, status, report });
      return 0;
    }
    out.line(`${workflowId}: ${status}`);
    out.json({ workflowId, status });
    return 0;
  } finally {
    await close();
  }
}
