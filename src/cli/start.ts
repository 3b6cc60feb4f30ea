import { randomBytes } from 'node:crypto';
import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { describeIssues, deployRequestSchema, type DeployRequest, type DeployRequestInput } from '../config/schema.js';
import { parseWindowSpec } from '../plan/deployWindow.js';
import { WORKFLOW_TYPE } from '../shared/constants.js';
import { describeFreeze, readFreeze } from '../shared/freeze.js';
import { CliError, output, withClient, type GlobalOptions } from './context.js';
import type { Progress } from '../shared/report.js';
import { followToOutcome } from './follow.js';
import { paceLine, readBaseline } from './pace.js';

export { outcomeLine } from './render.js';

/** A request refused before anything is started (exit code 2). */
export class InvalidRequestError extends CliError {}
/** A start refused because the app+environment is frozen (exit code 2). */
export class DeploymentFrozenError extends CliError {}

/** Validated here too, so a bad request is refused before anything is started. */
export function parseRequest(input: DeployRequestInput): DeployRequest {
  const parsed = deployRequestSchema.safeParse(input);
  if (!parsed.success) throw new InvalidRequestError(`invalid request: ${describeIssues(parsed.error, 'request')}`);
  return parsed.data;
}

export function newWorkflowId(r: Pick<DeployRequest, 'app' | 'environment' | 'ref'>): string {
  const ref = r.ref.replace(/[^A-Za-z0-9._-]+/g, '-');
  return `deploy-${r.app}-${r.environment}-${ref}-${randomBytes(3).toString('hex')}`;
}

/** For people, in the Web UI and in `safe-deploy list`. */
export const deploySummary = (r: Pick<DeployRequest, 'app' | 'environment' | 'ref' | 'dryRun'>) =>
  `${r.dryRun ? 'Dry run' : 'Deploy'} ${r.app} ${r.environment} → ${r.ref}`;

export async function startDeployment(
  client: Client,
  request: DeployRequest,
  o: { taskQueue: string; workflowId?: string },
): Promise<WorkflowHandleWithFirstExecutionRunId> {
  return client.workflow.start(WORKFLOW_TYPE, {
    taskQueue: o.taskQueue,
    workflowId: o.workflowId ?? newWorkflowId(request),
    args: [request],
    // No search attributes here: the workflow sets the registered ones itself, so a namespace
    // without them still accepts the start.
    staticSummary: deploySummary(request),
  });
}

export interface StartOptions {
  app: string;
  env: string;
  ref: string;
  dryRun?: boolean;
  reason?: string;
  requestedBy?: string;
  monitorMinutes?: string;
  window?: string;
  follow: boolean;
  workflowId?: string;
}

/** The command line's options as the workflow's request; every problem names its flag or field. */
export function requestFromOptions(o: StartOptions): DeployRequest {
  let window: ReturnType<typeof parseWindowSpec> | undefined;
  try {
    window = o.window === undefined ? undefined : parseWindowSpec(o.window);
  } catch (err) {
    throw new InvalidRequestError(`--window: ${(err as Error).message}`);
  }
  if (o.monitorMinutes !== undefined && !/^\d+$/.test(o.monitorMinutes))
    throw new InvalidRequestError(`--monitor-minutes: a whole number of minutes, not "${o.monitorMinutes}"`);
  return parseRequest({
    app: o.app,
    environment: o.env,
    ref: o.ref,
    dryRun: o.dryRun ?? false,
    reason: o.reason,
    requestedBy: o.requestedBy ?? process.env.USER,
    ...(o.monitorMinutes !== undefined ? { monitorMinutes: Number(o.monitorMinutes) } : {}),
    ...(window ? { window } : {}),
  });
}

export async function runStart(g: GlobalOptions, o: StartOptions): Promise<number> {
  const out = output(g.json);
  const request = requestFromOptions(o);
  return withClient(g, async (client) => {
    // The workflow refuses it too (at load-config, for schedules and other starters); here nothing is even started.
    const freeze = request.dryRun ? undefined : await readFreeze(client, request.app, request.environment);
    if (freeze)
      throw new DeploymentFrozenError(
        `refused: ${request.app} ${request.environment} is ${describeFreeze(freeze)}; nothing was started. ` +
          `Remedy: wait for the freeze to end, or end it: safe-deploy unfreeze --app ${request.app} --env ` +
          `${request.environment} --reason "<why>" (a --dry-run still runs)`,
      );
    const handle = await startDeployment(client, request, { taskQueue: g.taskQueue, workflowId: o.workflowId });
    const startedAt = Date.now();
    out.line(`started ${handle.workflowId} on task queue ${g.taskQueue}`);
    if (!o.follow) {
      out.json({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId, request });
      return 0;
    }
    // The yardstick is only for people: without it (no earlier run, visibility slow) the steps still show.
    const baseline =
      g.json || request.dryRun
        ? undefined
        : await readBaseline(client, request.app, request.environment).catch(() => undefined);
    const pace = request.dryRun ? undefined : (p: Progress) => paceLine(p, startedAt, Date.now(), baseline);
    return followToOutcome(handle, g.json, pace);
  });
}
