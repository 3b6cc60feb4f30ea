import { CancellationScope } from '@temporalio/workflow';
import type { RollbackStep } from '../shared/steps.js';
import type { RunState } from './runState.js';

interface Compensation {
  step: RollbackStep;
  summary: string;
  run: () => Promise<unknown>;
  /** false for undos of bookkeeping (resuming writes): alone, they do not make a rollback. */
  changes: boolean;
}

export interface RollbackResult {
  outcome: 'rolled-back' | 'rollback-failed';
  /** The compensation that failed and every one after it: what a person must finish. */
  remaining: RollbackStep[];
}

/**
 * The saga's undo stack. Each undo is registered before the step it undoes can change anything
 * (a migration can half-apply), runs newest-first, is an idempotent activity, and is shielded
 * from cancellation: cancelling a deployment rolls it back. The first failure stops the rollback,
 * because later undos assume earlier ones worked.
 */
export class Compensations {
  private readonly stack: Compensation[] = [];
  constructor(private readonly state: RunState) {}

  add(step: RollbackStep, summary: string, run: () => Promise<unknown>, o: { changes?: boolean } = {}): void {
    this.stack.push({ step, summary, run, changes: o.changes ?? true });
  }

  /** Whether production was changed at all (else a failure ends `aborted`, after the bookkeeping undos). */
  get changedSomething(): boolean {
    return this.stack.some((c) => c.changes);
  }

  runAll(): Promise<RollbackResult> {
    return CancellationScope.nonCancellable(async () => {
      this.state.rollingBack();
      const order = [...this.stack].reverse();
      for (const [i, c] of order.entries()) {
        try {
          await this.state.step(c.step, c.summary, c.run, (r) => (typeof r === 'string' ? r : ''));
        } catch {
          return { outcome: 'rollback-failed', remaining: order.slice(i).map((x) => x.step) };
        }
      }
      return { outcome: 'rolled-back', remaining: [] };
    });
  }
}
