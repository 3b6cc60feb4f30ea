import { sleep } from '@temporalio/workflow';
import type { DeployWindow, TargetConfig } from '../config/schema.js';
import { describeWindow, windowState } from '../plan/deployWindow.js';
import type { CheckRecord } from '../shared/report.js';
import { call, quick } from './activities.js';
import { checksOf } from './failures.js';
import type { RunState } from './runState.js';

/** Started outside its window, a deployment sleeps durably (a timer in history) until it opens. */
export async function waitForWindow(w: DeployWindow, run: RunState): Promise<void> {
  let state = windowState(w, Date.now());
  if (state.open) return;
  await run.step('wait-for-window', `Wait for the deploy window (${describeWindow(w)})`, async () => {
    const since = new Date().toISOString();
    try {
      while (!state.open) {
        run.waitFor({ kind: 'window', gate: 'window', detail: `the window ${describeWindow(w)} opens at ${new Date(state.opensAt).toISOString()}`, since, until: new Date(state.opensAt).toISOString() });
        await sleep(Math.max(1_000, state.opensAt - Date.now()));
        state = windowState(w, Date.now());
      }
    } finally {
      run.waitFor(undefined);
    }
    return `opened; closes at ${new Date(state.closesAt).toISOString()}`;
  }, (r) => r);
}

/**
 * The monitoring window: a look every `interval` for `minutes`; the first failed look throws,
 * which rolls the deployment back. A `rollback` update cancels the sleep the same way.
 */
export async function monitorRelease(t: TargetConfig, minutes: number, intervalMs: number, run: RunState): Promise<void> {
  if (minutes <= 0) return;
  const looks = Math.max(1, Math.floor((minutes * 60_000) / intervalMs));
  const checks: CheckRecord[] = [];
  run.report.monitoring = { minutes, looks: 0, checks };
  await run.step('monitor', `Monitor ${t.app} ${t.environment} for ${minutes} min (a look every ${Math.round(intervalMs / 1000)} s)`, async () => {
    let counterAtStart: number | undefined;
    for (let tick = 1; tick <= looks; tick++) {
      await sleep(intervalMs);
      const look = await call(quick, 'monitorOnce', `Look ${tick}/${looks} at ${t.app} ${t.environment}`, { target: t, counterAtStart, tick }).catch((err) => {
        run.addChecks(checks, checksOf(err).map((c) => ({ ...c, name: `look ${tick}: ${c.name}` })));
        throw err;
      });
      counterAtStart ??= look.counter;
      run.report.monitoring!.looks = tick;
      if (tick === looks) run.addChecks(checks, look.checks.map((c) => ({ ...c, name: `look ${tick}: ${c.name}` })));
      run.note('monitor', `look ${tick}/${looks}: ${look.checks.map((c) => c.name).join(', ')} ok`);
    }
    return `${looks} looks, all healthy`;
  }, (r) => r);
}
