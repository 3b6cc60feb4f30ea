import { CancellationScope } from '@temporalio/workflow';
import type { RollbackStep } from '../shared/steps.js';
import { blockedBy } from '../plan/compensationPolicy.js';
import type { RunState } from './runState.js';
import { Skipped } from './skipped.js';

interface Compensation {
  step: RollbackStep;
  summary: string;
  run: () => Promise<unknown>;
  /** false for undos of bookkeeping (resuming writes): alone, they do not make a rollback. */
  changes: boolean;
}

export interface RollbackResult {
  outcome: 'rolled-back' | 'rollback-failed';
  /** The compensations that failed and those they blocked: what a person must finish. */
  remaining: RollbackStep[];
}

/**
 * The saga's undo stack. Each undo is registered before the step it undoes can change anything
 * (a migration can half-apply), runs newest-first, is an idempotent activity retried through
 * outages (rollback.retryFor), and is shielded from cancellation: cancelling a deployment rolls it
 * back. An undo that still fails does not stop the others: those that need it (UNDO_NEEDS: no
 * previous code on a database that was not restored) are skipped, the rest run (writes resumed,
 * the app restarted), and the rollback ends `rollback-failed` with what is left for people.
 */
export class Compensations {
  private readonly stack: Compensation[] = [];
  constructor(private readonly state: RunState) {}

  add(step: RollbackStep, summary: string, run: () => Promise<unknown>, options: { changes?: boolean } = {}): void {
    this.stack.push({ step, summary, run, changes: options.changes ?? true });
  }

  /** Whether production was changed at all (else a failure ends `aborted`, after the bookkeeping undos). */
  get changedSomething(): boolean {
    return this.stack.some((undo) => undo.changes);
  }

  runAll(): Promise<RollbackResult> {
    return CancellationScope.nonCancellable(async () => {
      this.state.rollingBack();
      const notDone = new Set<RollbackStep>();
      const remaining: RollbackStep[] = [];
      for (const undo of [...this.stack].reverse()) {
        const blocked = blockedBy(undo.step, notDone);
        try {
          await this.state.step(
            undo.step,
            undo.summary,
            () =>
              blocked.length > 0
                ? Promise.resolve(new Skipped(`not run: it needs ${blocked.join(', ')}, which did not work`))
                : undo.run(),
            (said) => (typeof said === 'string' ? said : ''),
          );
          if (blocked.length === 0) continue;
        } catch {
          // failed after its retries: recorded by the step
        }
        notDone.add(undo.step);
        remaining.push(undo.step);
      }
      return remaining.length > 0
        ? { outcome: 'rollback-failed', remaining: [...new Set(remaining)] }
        : { outcome: 'rolled-back', remaining: [] };
    });
  }
}
