import { condition, setHandler } from '@temporalio/workflow';
import { decisionProblem } from '../plan/decision.js';
import type { DecisionRecord } from '../shared/report.js';
import { approveUpdate, rejectUpdate, type Decision } from './messages.js';
import type { RunState } from './runState.js';

export interface GateResult {
  decision: DecisionRecord['decision'];
  by?: string;
  reason?: string;
}

/**
 * Places where a person must say yes. The `approve`/`reject` updates are accepted only while a
 * gate is open (their validators reject them otherwise, before anything enters the history);
 * the workflow waits for the answer with a durable timer (expense sample).
 */
export class Gates {
  private open?: { gate: string; detail: string };
  private answer?: GateResult;
  /** Told when a gate opens (the `waiting-for-approval` notification). */
  onOpen?: (gate: string, detail: string) => Promise<void>;

  constructor(private readonly run: RunState) {
    const validator = (d: Decision) => {
      const problem = decisionProblem(d);
      if (problem) throw new Error(`invalid decision: ${problem}`);
      if (!this.open) throw new Error('this deployment is not waiting for a decision');
    };
    const answer = (decision: 'approved' | 'rejected') => (d: Decision) => {
      const gate = this.open!.gate;
      this.answer = { decision, by: d.by, reason: d.reason };
      this.open = undefined;
      return { gate, decision };
    };
    setHandler(approveUpdate, answer('approved'), { validator });
    setHandler(rejectUpdate, answer('rejected'), { validator });
  }

  get waiting(): boolean {
    return this.open !== undefined;
  }

  /** Opens `gate`, shows what is asked, and waits for a decision or the timeout. */
  async ask(gate: string, detail: string, timeoutMs: number): Promise<GateResult> {
    const since = new Date();
    this.open = { gate, detail };
    this.answer = undefined;
    this.run.waitFor({ kind: 'approval', gate, detail, since: since.toISOString(), until: new Date(since.getTime() + timeoutMs).toISOString() });
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
