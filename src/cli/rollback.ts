import { WorkflowUpdateStage, type WorkflowHandle } from '@temporalio/client';
import type { Progress } from '../shared/report.js';
import { rollbackUpdate } from '../workflows/messages.js';
import {
  EXIT,
  EXIT_CODES,
  explainTemporalError,
  output,
  requireRunning,
  withClient,
  type GlobalOptions,
} from './context.js';
import { decisionFrom, type DecisionOptions } from './decision.js';
import { progressView } from './follow.js';
import { outcomeLine, type ProgressView } from './render.js';

/**
 * Shows the rollback's steps as they start and end (the `progress` query, from where the
 * deployment is now) until `done` settles; returns what `done` gives.
 */
export async function streamUntil<T>(
  handle: WorkflowHandle,
  done: Promise<T>,
  view: ProgressView,
  everyMs = 500,
): Promise<T> {
  let settled = false;
  const finished = done.finally(() => {
    settled = true;
  });
  const quiet = finished.catch(() => undefined);
  const poll = () => handle.query<Progress>('progress').catch(() => undefined);
  try {
    const now = await poll();
    if (now) view.prime?.(now);
    for (let last = false; !last;) {
      await Promise.race([quiet, new Promise((r) => setTimeout(r, everyMs))]);
      last = settled; // one more look once it ended: its last steps
      const p = await poll();
      if (p) view.update(p);
    }
    return await finished;
  } finally {
    view.close();
  }
}

/** Asks a running deployment to roll back now; returns once the rollback ended, with its outcome's exit code. */
export async function runRollback(g: GlobalOptions, workflowId: string, o: DecisionOptions): Promise<number> {
  const out = output(g.json);
  const decision = decisionFrom(o);
  return withClient(g, async (client) => {
    const handle = client.workflow.getHandle(workflowId);
    await requireRunning(handle, 'roll back');
    try {
      const update = await handle.startUpdate(rollbackUpdate, {
        args: [decision],
        waitForStage: WorkflowUpdateStage.ACCEPTED,
      });
      out.line(`rollback of ${workflowId} accepted (by ${decision.by}: ${decision.reason}); waiting for it to end…`);
      const { outcome } = await streamUntil(handle, update.result(), progressView(workflowId, g.json));
      out.line(outcomeLine(workflowId, outcome));
      out.json({ workflowId, outcome, ...decision });
      return EXIT_CODES[outcome] ?? EXIT.failed;
    } catch (err) {
      throw explainTemporalError(err) ?? err;
    }
  });
}
