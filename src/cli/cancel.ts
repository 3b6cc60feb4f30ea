import { EXIT, output, requireRunning, withClient, type GlobalOptions } from './context.js';
import { followToOutcome } from './follow.js';

/** Cancelling a deployment rolls back what it changed; `--wait` follows it and exits with the outcome. */
export async function runCancel(g: GlobalOptions, workflowId: string, o: { wait?: boolean }): Promise<number> {
  const out = output(g.json);
  return withClient(g, async (client) => {
    const handle = client.workflow.getHandle(workflowId);
    await requireRunning(handle, 'cancel');
    await handle.cancel();
    out.line(`cancel requested for ${workflowId}: it rolls back what it changed`);
    if (!o.wait) {
      out.json({ workflowId, cancelRequested: true });
      return EXIT.ok;
    }
    return followToOutcome(handle, g.json);
  });
}
