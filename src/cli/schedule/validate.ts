import { randomBytes } from 'node:crypto';
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { DeployRequest } from '../../config/schema.js';
import { VALIDATE_WORKFLOW_TYPE } from '../../shared/constants.js';
import type { ValidatedRequest } from '../../workflows/validateRequest.js';
import { CliError, EXIT } from '../context.js';

/**
 * Asks the worker on `taskQueue` whether it can deploy `request` (the `validateRequest` workflow:
 * its `loadConfig` activity, nothing changed), waiting at most `timeoutMs`. Refuses (exit 2) with
 * the worker's own words when it cannot, and says why when no answer came.
 */
export async function validateThroughWorker(
  client: Client,
  request: DeployRequest,
  o: { taskQueue: string; scheduleId: string; timeoutMs: number },
): Promise<ValidatedRequest> {
  const handle = await client.workflow.start(VALIDATE_WORKFLOW_TYPE, {
    taskQueue: o.taskQueue,
    workflowId: `validate-${o.scheduleId}-${randomBytes(3).toString('hex')}`,
    args: [request],
    // No worker: the server ends it, and nothing is left running.
    workflowExecutionTimeout: o.timeoutMs,
    staticSummary: `Check that a worker can deploy ${request.app} ${request.environment} (schedule ${o.scheduleId})`,
  });
  try {
    return (await handle.result()) as ValidatedRequest;
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    if (err.cause instanceof ApplicationFailure) {
      throw new CliError(
        `refused: the worker on task queue ${o.taskQueue} cannot deploy this: ${err.cause.message}`,
        EXIT.refused,
      );
    }
    throw new CliError(await whyNoAnswer(handle, o.taskQueue, o.timeoutMs), EXIT.refused);
  }
}

/** From the check's history: no worker at all, a worker that cannot run the check, or a host's worker missing. */
async function whyNoAnswer(handle: WorkflowHandle, taskQueue: string, timeoutMs: number): Promise<string> {
  const events = (await handle.fetchHistory()).events ?? [];
  const seconds = `${Math.round(timeoutMs / 1000)} s`;
  const escape = 'or create the schedule unchecked with --no-validate';
  const taskFailed = events.find((e) => e.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes;
  if (taskFailed) {
    return (
      `refused: the worker on task queue ${taskQueue} could not run the check ` +
      `(${taskFailed.failure?.message ?? 'workflow task failed'}); is it older than this CLI? Update it, ` +
      `${escape}`
    );
  }
  if (!events.some((e) => e.workflowTaskStartedEventAttributes)) {
    return (
      `refused: no worker answered on task queue ${taskQueue} within ${seconds}, so nothing checked that it ` +
      `has this app and environment. Start safe-deploy-worker (SAFE_DEPLOY_TASK_QUEUE=${taskQueue}) or pass ` +
      `the worker's --task-queue, ${escape}`
    );
  }
  const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes);
  const started = events.filter((e) => e.activityTaskStartedEventAttributes);
  const waiting =
    scheduled.length > started.length
      ? scheduled.at(-1)!.activityTaskScheduledEventAttributes!.taskQueue?.name
      : undefined;
  if (waiting && waiting !== taskQueue)
    return (
      `refused: no worker answered on task queue ${waiting} (a host of this environment) within ${seconds}. ` +
      `Start that host's worker, ${escape}`
    );
  return (
    `refused: the worker on task queue ${taskQueue} did not finish the check within ${seconds}; try a longer ` +
    `--validate-timeout, ${escape}`
  );
}
