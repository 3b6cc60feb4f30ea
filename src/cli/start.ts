import { randomBytes } from 'node:crypto';
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { describeIssues, deployRequestSchema, type DeployRequest, type DeployRequestInput } from '../config/schema.js';
import { WORKFLOW_TYPE } from '../shared/constants.js';
import type { DeploymentReport } from '../shared/report.js';
import { connectClient, output, type GlobalOptions } from './context.js';
import { followDeployment } from './follow.js';
import { EXIT_CODES, renderReport } from './render.js';

export class InvalidRequestError extends Error {}

/** Validated here too, so a bad request is refused before anything is started. */
export function parseRequest(input: DeployRequestInput): DeployRequest {
  const parsed = deployRequestSchema.safeParse(input);
  if (!parsed.success) throw new InvalidRequestError(`invalid request: ${describeIssues(parsed.error, 'request')}`);
  return parsed.data;
}

export function newWorkflowId(r: Pick<DeployRequest, 'app' | 'environment' | 'ref'>): string {
  return `deploy-${r.app}-${r.environment}-${r.ref.replace(/[^A-Za-z0-9._-]+/g, '-')}-${randomBytes(3).toString('hex')}`;
}

export async function startDeployment(client: Client, request: DeployRequest, o: { taskQueue: string; workflowId?: string }): Promise<WorkflowHandleWithFirstExecutionRunId> {
  return client.workflow.start(WORKFLOW_TYPE, {
    taskQueue: o.taskQueue,
    workflowId: o.workflowId ?? newWorkflowId(request),
    args: [request],
    staticSummary: `Deploy ${request.app} ${request.environment} → ${request.ref}`,
  });
}

/** The last line scripts grep for. */
export const outcomeLine = (workflowId: string, outcome: string) => `deployment ${workflowId} outcome: ${outcome}`;

export interface StartOptions { app: string; env: string; ref: string; dryRun?: boolean; reason?: string; follow: boolean; workflowId?: string }

export async function runStart(g: GlobalOptions, o: StartOptions): Promise<number> {
  const out = output(g.json);
  const request = parseRequest({ app: o.app, environment: o.env, ref: o.ref, dryRun: o.dryRun ?? false, reason: o.reason, requestedBy: process.env.USER });
  const { client, close } = await connectClient(g);
  try {
    const handle = await startDeployment(client, request, { taskQueue: g.taskQueue, workflowId: o.workflowId });
    out.line(`started ${handle.workflowId} on task queue ${g.taskQueue}`);
    if (!o.follow) {
      out.json({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId });
      return 0;
    }
    let report: DeploymentReport;
    try {
      report = await followDeployment(handle, out.line);
    } catch (err) {
      const message = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
      out.line(`deployment ${handle.workflowId} failed: ${message}`);
      out.json({ workflowId: handle.workflowId, outcome: 'failed', error: message });
      out.line(outcomeLine(handle.workflowId, 'failed'));
      return 2;
    }
    out.line(renderReport(report));
    out.json({ workflowId: handle.workflowId, ...report });
    out.line(outcomeLine(handle.workflowId, report.outcome));
    return EXIT_CODES[report.outcome];
  } finally {
    await close();
  }
}
