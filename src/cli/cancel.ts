import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { EXIT, output, parseOptions, requireRunning, withClient, type GlobalOptions } from './context.js';
import { followToOutcome } from './follow.js';

const cancelOptionsSchema = z.object({
  by: z.string().trim().min(1, 'who cancels: pass --by <name> or set USER').max(200),
  reason: z.string().trim().max(500).optional(),
});

/**
 * Cancelling a deployment rolls back what it changed; `--wait` follows it and exits with the
 * outcome. The cancel request carries who (`--by`, default $USER) and why (`--reason`): the
 * workflow reads them from its history, and its report says "cancelled by <who>: <why>".
 */
export async function runCancel(
  g: GlobalOptions,
  workflowId: string,
  o: { wait?: boolean; by?: string; reason?: string },
): Promise<number> {
  const out = output(g.json);
  const { by, reason } = parseOptions(cancelOptionsSchema, { by: o.by ?? process.env.USER ?? '', reason: o.reason });
  return withClient(g, async (client) => {
    const handle = client.workflow.getHandle(workflowId);
    await requireRunning(handle, 'cancel');
    await client.workflowService.requestCancelWorkflowExecution({
      namespace: client.options.namespace,
      identity: `${by} (safe-deploy cancel)`,
      requestId: randomUUID(),
      workflowExecution: { workflowId },
      reason: reason ?? '',
    });
    out.line(
      `cancel requested for ${workflowId} by ${by}${reason ? `: ${reason}` : ''}: it rolls back what it changed`,
    );
    if (!o.wait) {
      out.json({ workflowId, cancelRequested: true, by, ...(reason ? { reason } : {}) });
      return EXIT.ok;
    }
    return followToOutcome(handle, g.json);
  });
}
