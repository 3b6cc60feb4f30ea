import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkerInterceptors } from '@temporalio/worker';
import { faultInterceptors } from '../../scripts/faults/interceptor.js';
import { readMarkers, type FaultPlan } from '../../scripts/faults/plan.js';

/**
 * The fault matrix's hold (scripts/faults/interceptor.ts, kind `restart-server`) on a test's own
 * worker: the armed activity's first attempt does its real work, then holds, heartbeating, until
 * released. Meanwhile the test can crash the Temporal server with the step in flight: started,
 * its work done, its completion not yet reported.
 */
export class ActivityHold {
  /** For the worker that runs the activity. */
  readonly interceptors: WorkerInterceptors;
  private readonly planFile: string;
  private plan: FaultPlan | undefined;
  private count = 0;

  constructor(private readonly dir: string) {
    this.planFile = join(dir, 'hold-plan.json');
    this.interceptors = { activity: [faultInterceptors(this.planFile)] };
  }

  /** Holds the next first attempt of `activity` (the step `step` runs) after its work. */
  arm(step: string, activity: string): void {
    const n = ++this.count;
    this.plan = {
      kind: 'restart-server',
      step,
      activity,
      input: {},
      markerFile: join(this.dir, `hold-${n}.markers`),
      releaseFile: join(this.dir, `hold-${n}.release`),
    };
    writeFileSync(this.planFile, JSON.stringify(this.plan));
  }

  /** Resolves once the armed activity did its work and holds; throws if it failed by itself first. */
  async held(timeoutMs: number): Promise<void> {
    const plan = this.plan;
    if (!plan) throw new Error('ActivityHold: arm() first');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const events = readMarkers(plan.markerFile).map((m) => m.event);
      if (events.includes('worked')) return;
      if (events.includes('threw'))
        throw new Error(`${plan.activity} (${plan.step}) failed by itself before it could be held`);
      if (Date.now() > deadline)
        throw new Error(`${plan.activity} (${plan.step}) did not reach its hold within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Lets the held activity return; nothing is held after this until the next arm(). */
  release(): void {
    if (!this.plan) return;
    rmSync(this.planFile, { force: true });
    writeFileSync(this.plan.releaseFile, '');
    this.plan = undefined;
  }
}
