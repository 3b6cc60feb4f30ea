import type { ActivityFunction } from '@temporalio/common';
import type { ActivityFunctionWithOptions } from '@temporalio/workflow';
import type { StepName } from '../shared/steps.js';
import { call, type Worker } from './activities.js';
import type { RunState } from './runState.js';

/** A step's summary: one line for the runbook and its activity's event, or a shorter one for the event. */
export type Summary = string | { step: string; activity: string };

/** Runs one activity as one step of the runbook, on `worker`: see {@link activitySteps}. */
export type ActivityStep = <F extends ActivityFunction>(
  worker: Worker,
  name: StepName,
  summary: Summary,
  activity: ActivityFunctionWithOptions<F>,
  input: Parameters<F>[0],
  describe?: (result: Awaited<ReturnType<F>>) => string,
) => Promise<Awaited<ReturnType<F>>>;

/**
 * `step(host, 'check-disk', 'Check room for the backup', quick.checkDisk, input, describe)`: the
 * step recorded in the run (progress, report, Web UI details) and its activity called with the
 * same summary, written once.
 */
export function activitySteps(run: RunState): ActivityStep {
  return (worker, name, summary, activity, input, describe) => {
    const [forStep, forActivity] = typeof summary === 'string' ? [summary, summary] : [summary.step, summary.activity];
    // Every activity a step runs takes one input object.
    const args = [input] as Parameters<typeof activity>;
    return run.step(name, forStep, () => call(worker, activity, forActivity, ...args), describe);
  };
}
