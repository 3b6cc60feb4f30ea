import { approveUpdate, rejectUpdate, type GateAnswer } from '../workflows/messages.js';
import { EXIT, explainTemporalError, output, requireRunning, withClient, type GlobalOptions } from './context.js';
import { decisionFrom, type DecisionOptions } from './decision.js';

/** Settles the gate a deployment waits at; the workflow refuses it (exit 2) unless it is waiting. */
async function decide(
  g: GlobalOptions,
  workflowId: string,
  o: DecisionOptions,
  update: typeof approveUpdate | typeof rejectUpdate,
  verb: string,
): Promise<number> {
  const out = output(g.json);
  const decision = decisionFrom(o);
  return withClient(g, async (client) => {
    const handle = client.workflow.getHandle(workflowId);
    await requireRunning(handle, verb);
    let answer: GateAnswer;
    try {
      answer = await handle.executeUpdate(update, { args: [decision] });
    } catch (err) {
      throw explainTemporalError(err) ?? err;
    }
    out.line(
      `${answer.decision} gate ${answer.gate} of ` +
        `${workflowId}${answer.action ? ` with action ${answer.action}` : ''} (by ${decision.by}: ` +
        `${decision.reason})`,
    );
    out.json({ workflowId, ...answer, ...decision });
    return EXIT.ok;
  });
}

export const runApprove = (g: GlobalOptions, workflowId: string, o: DecisionOptions) =>
  decide(g, workflowId, o, approveUpdate, 'approve');
export const runReject = (g: GlobalOptions, workflowId: string, o: DecisionOptions) =>
  decide(g, workflowId, o, rejectUpdate, 'reject');
