import { durationMs } from '../shared/duration.js';
import { appCommand } from '../commands/app.js';
import type { TargetConfig } from '../config/schema.js';
import { CommandFailed, lastLines } from '../exec/run.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import { appLogTail } from './appLog.js';
import { commandEnvValues, runInActivity, type ActivityDeps } from './activityDeps.js';
import { timedCheck } from './expectations.js';
import { appUrl, fetchOnOrigin, requestSignal, type CheckResult } from './http.js';

export interface MonitorInput {
  target: TargetConfig;
  /** The error counter when the window opened; absent on the first look. */
  counterAtStart?: number;
  tick: number;
}

export interface MonitorFacts {
  checks: CheckResult[];
  counter?: number;
}

/** One look at the live release during the monitoring window: health, the error counter, the configured command. */
export function createMonitorActivities(deps: ActivityDeps) {
  return {
    async monitorOnce({ target: t, counterAtStart, tick }: MonitorInput): Promise<MonitorFacts> {
      const checks: CheckResult[] = [];
      checks.push(
        await timedCheck('health', 'health', async () => {
          const res = await fetchOnOrigin(appUrl(t.baseUrl, t.health.path, 'health.path', 'monitor'), {
            method: 'GET',
            signal: requestSignal(10_000),
          });
          return [res.status === 200, `${res.status} ${(await res.text()).slice(0, 120)}`];
        }),
      );
      let counter: number | undefined;
      const ec = t.monitor.errorCounter;
      if (ec) {
        checks.push(
          await timedCheck(`error counter ${ec.field}`, 'health', async () => {
            const res = await fetchOnOrigin(appUrl(t.baseUrl, ec.path, 'monitor.errorCounter.path', 'monitor'), {
              method: 'GET',
              signal: requestSignal(10_000),
            });
            const json = (await res.json()) as Record<string, unknown> | null;
            const value =
              json && typeof json === 'object' && Object.hasOwn(json, ec.field) ? Number(json[ec.field]) : NaN;
            if (!Number.isFinite(value)) return [false, `${ec.path} has no numeric field ${ec.field}`];
            counter = value;
            const start = counterAtStart ?? value;
            return [value - start <= ec.maxIncrease, `${ec.field} ${start} → ${value} (at most +${ec.maxIncrease})`];
          }),
        );
      }
      if (t.monitor.command) {
        const argv = t.monitor.command;
        checks.push(
          await timedCheck('monitor command', 'health', async () => {
            try {
              const r = await runInActivity(
                appCommand(argv, {
                  cwd: t.appDir,
                  commandEnv: commandEnvValues(deps, t, 'monitor'),
                  timeoutMs: durationMs(t.commandTimeouts.restart),
                }),
                'monitor',
              );
              return [true, lastLines(r.stdout, 1) || 'exit 0'];
            } catch (e) {
              if (e instanceof CommandFailed)
                return [false, `exit ${e.exitCode}: ${lastLines(e.stderr || e.stdout, 2)}`];
              throw e;
            }
          }),
        );
      }
      const failed = checks.filter((c) => !c.ok);
      if (failed.length > 0) {
        // Every look is about the app's health (answers, errors, the command): its own words help each.
        const log = await appLogTail(deps, t, 'monitor');
        throw deployFailure(FailureType.MonitoringFailed, {
          step: 'monitor',
          what:
            `look ${tick} of the monitoring window failed: ` +
            `${failed.map((c) => `${c.name} (${c.detail})`).join('; ')}`,
          remedy: `the deployment is rolled back automatically; ${log ? `the app's log:\n${log}` : 'see the app log'}`,
          retryable: false,
          details: { checks },
        });
      }
      return { checks, counter };
    },
  };
}
