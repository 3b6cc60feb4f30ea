import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { CommandFailed, CommandNotFound, CommandTimedOut, lastLines } from '../exec/run.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import type { StepName } from '../shared/steps.js';

/**
 * Turns what a command threw into a typed failure that says where and what to do. Output is
 * already redacted by the runner; only a short tail goes into history. A cancellation stays one.
 */
export function commandFailure(
  e: unknown,
  f: { step: StepName; type: FailureType; what: string; remedy: string; retryable: boolean },
): ApplicationFailure | CancelledFailure {
  // The activity was cancelled and the runner stopped its command: a cancellation, not a failure of the step.
  if (e instanceof CancelledFailure) return e;
  if (e instanceof ApplicationFailure) return e;
  if (e instanceof CommandNotFound) {
    return deployFailure(FailureType.ToolMissing, {
      step: f.step,
      what: `${f.what}: ${e.message}`,
      remedy: `install ${e.file} on the worker host or fix the command in the config`,
      retryable: false,
    });
  }
  if (e instanceof CommandTimedOut) {
    return deployFailure(FailureType.CommandTimedOut, {
      step: f.step,
      what: `${f.what}: ${e.display} timed out after ${e.timeoutMs} ms`,
      remedy: f.remedy,
      retryable: f.retryable,
      details: { command: e.display, output: lastLines(e.stderr || e.stdout, 20) },
    });
  }
  if (e instanceof CommandFailed) {
    return deployFailure(f.type, {
      step: f.step,
      what: `${f.what}: ${e.message}`,
      remedy: f.remedy,
      retryable: f.retryable,
      details: { command: e.display, exitCode: e.exitCode, output: lastLines(e.stderr || e.stdout, 40) },
    });
  }
  return deployFailure(f.type, {
    step: f.step,
    what: `${f.what}: ${(e as Error)?.message ?? String(e)}`,
    remedy: f.remedy,
    retryable: f.retryable,
  });
}
