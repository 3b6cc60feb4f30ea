/**
 * The fault worker's activity interceptor. Production code paths are untouched: the real
 * activity runs; around it, on the targeted activity's first attempt only, the interceptor
 *  - error:                  throws a non-retryable InjectedFault after the real work (the change
 *                            is made, then the step reports failure: the rollback has real work);
 *  - kill-worker/restart-server: holds after the real work, heartbeating, until the runner has
 *                            acted (killed this process, or stopped the dev server) and released it;
 *  - pg-outage, pg-restart-immediate, kill-worker-mid: nothing but the marks: the runner lands
 *                            the fault while the work runs (see runCase.ts).
 * Every event is appended to the marker file, so the runner knows when to act.
 */
import { appendFileSync, existsSync } from 'node:fs';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import {
  INJECTED_FAULT_TYPE,
  MID_WORK_KINDS,
  planMatches,
  readFaultPlan,
  type FaultPlan,
  type MarkerEvent,
} from './plan.js';

export function faultInterceptors(planFile: string): ActivityInterceptorsFactory {
  return (ctx) => ({
    inbound: {
      async execute(input, next) {
        const plan = existsSync(planFile) ? readFaultPlan(planFile) : undefined; // no file: no fault (between cases)
        if (!plan || ctx.info.attempt !== 1 || !planMatches(plan, ctx.info.activityType, input.args[0]))
          return next(input);
        const mark = (event: MarkerEvent) =>
          appendFileSync(
            plan.markerFile,
            JSON.stringify({
              event,
              activity: ctx.info.activityType,
              attempt: ctx.info.attempt,
              pid: process.pid,
              at: Date.now(),
            }) + '\n',
          );
        mark('started');
        let result: unknown;
        try {
          result = await next(input);
        } catch (err) {
          mark('threw');
          throw err;
        }
        mark('worked');
        if (plan.kind === 'error') throw injectedFault(plan);
        if (MID_WORK_KINDS.includes(plan.kind)) return result;
        await holdUntilReleased(plan, () => ctx.heartbeat({ phase: 'held by the fault matrix' }));
        mark('released');
        return result;
      },
    },
  });
}

function injectedFault(plan: FaultPlan): ApplicationFailure {
  return ApplicationFailure.create({
    type: INJECTED_FAULT_TYPE,
    nonRetryable: true,
    message: `[${plan.step}] injected fault: ${plan.activity} did its work, then failed. Remedy: none, this is the fault matrix`,
  });
}

/** Heartbeats while holding, so that only the runner's action (not a heartbeat timeout) ends the hold. */
async function holdUntilReleased(plan: FaultPlan, beat: () => void): Promise<void> {
  let sinceBeat = 0;
  while (!existsSync(plan.releaseFile)) {
    await new Promise((r) => setTimeout(r, 100));
    if ((sinceBeat += 100) >= 2_000) {
      beat();
      sinceBeat = 0;
    }
  }
}
