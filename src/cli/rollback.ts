import { WorkflowUpdateStage } from '@temporalio/client';
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
import { outcomeLine } from './render.js';

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
      const { outcome } = await update.result();
      out.line(outcomeLine(workflowId, outcome));
      out.json({ workflowId, outcome, ...decision });
      return EXIT_CODES[outcome] ?? EXIT.failed;
    } catch (err) {
      throw explainTemporalError(err) ?? err;
    }
  });
}
