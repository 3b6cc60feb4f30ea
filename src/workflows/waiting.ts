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
export async function waitForWindow(window: DeployWindow, run: RunState): Promise<void> {
  let state = windowState(window, Date.now());
  if (state.open) return;
  await run.step(
    'wait-for-window',
    `Wait for the deploy window (${describeWindow(window)})`,
    async () => {
      const since = new Date().toISOString();
      try {
        while (!state.open) {
          run.waitFor({
            kind: 'window',
            gate: 'window',
            detail: `the window ${describeWindow(window)} opens at ${windowTime(window, state.opensAt)}`,
            since,
            until: new Date(state.opensAt).toISOString(),
          });
          await sleep(Math.max(1_000, state.opensAt - Date.now()));
          state = windowState(window, Date.now());
        }
      } finally {
        run.waitFor(undefined);
      }
      return `opened; closes at ${windowTime(window, state.closesAt)}`;
    },
    (said) => said,
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
  const target = hosts[0]!.target;
  const looks = Math.max(1, Math.floor((minutes * 60_000) / intervalMs));
  const checks: CheckRecord[] = [];
  run.report.monitoring = { minutes, looks: 0, checks };
  await run.step(
    'monitor',
    `Monitor ${target.app} ${target.environment} for ${minutes} min (a look every ${Math.round(intervalMs / 1000)} s)`,
    async () => {
      const counters = new Map<Host, number | undefined>();
      for (let tick = 1; tick <= looks; tick++) {
        await sleep(intervalMs);
        for (const host of hosts) {
          const label = (name: string) => `look ${tick}${hosts.length > 1 ? ` ${host.name}` : ''}: ${name}`;
          const look = await call(
            host,
            quick.monitorOnce,
            `Look ${tick}/${looks} at ${target.app} ${target.environment}${hosts.length > 1 ? ` on ${host.name}` : ''}`,
            { target: host.target, counterAtStart: counters.get(host), tick },
          ).catch((err) => {
            run.addChecks(
              checks,
              checksOf(err).map((check) => ({ ...check, name: label(check.name) })),
            );
            throw err;
          });
          if (!counters.has(host)) counters.set(host, look.counter);
          if (tick === looks)
            run.addChecks(
              checks,
              look.checks.map((check) => ({ ...check, name: label(check.name) })),
            );
        }
        run.report.monitoring!.looks = tick;
        run.note('monitor', `look ${tick}/${looks}: all healthy`);
      }
      return `${looks} looks, all healthy`;
    },
    (said) => said,
  );
}
