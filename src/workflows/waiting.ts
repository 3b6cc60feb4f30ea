import { sleep } from '@temporalio/workflow';
import type { DeployWindow } from '../config/schema.js';
import { describeWindow, windowState, windowTime } from '../plan/deployWindow.js';
import type { CheckRecord } from '../shared/report.js';
import { call, quick } from './activities.js';
import { checksOf } from './failures.js';
import type { Host } from './hosts.js';
import type { RunState } from './runState.js';

/**
 * Started outside its window, a deployment sleeps durably (a timer in history) until it opens.
 * Times read in the window's own zone, UTC in parentheses; `until` stays an ISO instant.
 */
export async function waitForWindow(w: DeployWindow, run: RunState): Promise<void> {
  let state = windowState(w, Date.now());
  if (state.open) return;
  await run.step(
    'wait-for-window',
    `Wait for the deploy window (${describeWindow(w)})`,
    async () => {
      const since = new Date().toISOString();
      try {
        while (!state.open) {
          run.waitFor({
            kind: 'window',
            gate: 'window',
            detail: `the window ${describeWindow(w)} opens at ${windowTime(w, state.opensAt)}`,
            since,
            until: new Date(state.opensAt).toISOString(),
          });
          await sleep(Math.max(1_000, state.opensAt - Date.now()));
          state = windowState(w, Date.now());
        }
      } finally {
        run.waitFor(undefined);
      }
      return `opened; closes at ${windowTime(w, state.closesAt)}`;
    },
    (r) => r,
  );
}

/**
 * The monitoring window: a look at every host every `interval` for `minutes`; the first failed
 * look throws, which rolls the deployment back. A `rollback` update cancels the sleep the same way.
 */
export async function monitorRelease(
  hosts: readonly Host[],
  minutes: number,
  intervalMs: number,
  run: RunState,
): Promise<void> {
  if (minutes <= 0) return;
  const t = hosts[0]!.target;
  const looks = Math.max(1, Math.floor((minutes * 60_000) / intervalMs));
  const checks: CheckRecord[] = [];
  run.report.monitoring = { minutes, looks: 0, checks };
  await run.step(
    'monitor',
    `Monitor ${t.app} ${t.environment} for ${minutes} min (a look every ${Math.round(intervalMs / 1000)} s)`,
    async () => {
      const counters = new Map<Host, number | undefined>();
      for (let tick = 1; tick <= looks; tick++) {
        await sleep(intervalMs);
        for (const h of hosts) {
          const label = (name: string) => `look ${tick}${hosts.length > 1 ? ` ${h.name}` : ''}: ${name}`;
          const look = await call(
            h,
            quick.monitorOnce,
            `Look ${tick}/${looks} at ${t.app} ${t.environment}${hosts.length > 1 ? ` on ${h.name}` : ''}`,
            { target: h.target, counterAtStart: counters.get(h), tick },
          ).catch((err) => {
            run.addChecks(
              checks,
              checksOf(err).map((c) => ({ ...c, name: label(c.name) })),
            );
            throw err;
          });
          if (!counters.has(h)) counters.set(h, look.counter);
          if (tick === looks)
            run.addChecks(
              checks,
              look.checks.map((c) => ({ ...c, name: label(c.name) })),
            );
        }
        run.report.monitoring!.looks = tick;
        run.note('monitor', `look ${tick}/${looks}: all healthy`);
      }
      return `${looks} looks, all healthy`;
    },
    (r) => r,
  );
}
