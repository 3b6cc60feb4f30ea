import { condition, setHandler } from '@temporalio/workflow';
import { DECISION_ACTIONS, decisionProblem, type DecisionAction, type OfferedActions } from '../plan/decision.js';
import type { DecisionRecord } from '../shared/report.js';
import { approveUpdate, rejectUpdate, type Decision } from './messages.js';
import type { RunState } from './runState.js';

export interface GateResult {
  decision: DecisionRecord['decision'];
  by?: string;
  reason?: string;
  /** What the approver chose among the gate's actions. */
  action?: DecisionAction;
}

/**
 * Places where a person must say yes. The `approve`/`reject` updates are accepted only while a
 * gate is open (their validators reject them otherwise, before anything enters the history);
 * the workflow waits for the answer with a durable timer (expense sample).
 */
export class Gates {
  private open?: { gate: string; detail: string; offered: OfferedActions };
  private answer?: GateResult;
  /** Told when a gate opens (the `waiting-for-approval` notification). */
  onOpen?: (gate: string, detail: string) => Promise<void>;

  constructor(private readonly run: RunState) {
    // Only `approve` may carry an action, and only one the open gate offers.
    const validator = (decision: 'approved' | 'rejected') => (given: Decision) => {
      // With no gate open, any well-formed decision is simply early or late: say that.
      const offered = decision === 'rejected' ? {} : (this.open?.offered ?? { actions: DECISION_ACTIONS });
      const problem = decisionProblem(given, offered);
      if (problem) throw new Error(`invalid decision: ${problem}`);
      if (!this.open) throw new Error('this deployment is not waiting for a decision');
    };
    const answer = (decision: 'approved' | 'rejected') => (given: Decision) => {
      const gate = this.open!.gate;
      this.answer = { decision, by: given.by, reason: given.reason, ...(given.action ? { action: given.action } : {}) };
      this.open = undefined;
      return { gate, decision, ...(given.action ? { action: given.action } : {}) };
    };
    setHandler(approveUpdate, answer('approved'), { validator: validator('approved') });
    setHandler(rejectUpdate, answer('rejected'), { validator: validator('rejected') });
  }

  get waiting(): boolean {
    return this.open !== undefined;
  }

  /** Opens `gate`, shows what is asked (and the actions an approval may choose), waits for an answer or the timeout. */
  async ask(gate: string, detail: string, timeoutMs: number, offered: OfferedActions = {}): Promise<GateResult> {
    const since = new Date();
    this.open = { gate, detail, offered };
    this.answer = undefined;
    const actions = offered.actions?.length
      ? { actions: [...offered.actions], ...(offered.actionRequired ? { actionRequired: true } : {}) }
      : {};
    this.run.waitFor({
      kind: 'approval',
      gate,
      detail,
      since: since.toISOString(),
      until: new Date(since.getTime() + timeoutMs).toISOString(),
      ...actions,
    });
    try {
      await this.onOpen?.(gate, detail);
      const answered = await condition(() => this.answer !== undefined, timeoutMs);
      const result: GateResult = answered ? this.answer! : { decision: 'timed-out' };
      this.run.report.decisions.push({ gate, asked: detail, ...result, at: new Date().toISOString() });
      return result;
    } finally {
      this.open = undefined;
      this.run.waitFor(undefined);
    }
  }
}
