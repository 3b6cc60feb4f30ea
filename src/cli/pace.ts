import type { Client } from '@temporalio/client';
import { formatDuration } from '../shared/humanize.js';
import type { DeploymentReport, Progress } from '../shared/report.js';
import { DEPLOY_OUTCOME } from '../shared/searchAttributes.js';
import { deploymentResult } from './deploymentResult.js';
import { deploymentsQuery, listRuns } from './deployments.js';

/** What earlier deployments of the same app+environment took: the yardstick for "step N of M" and the estimate. */
export interface PaceBaseline {
  /** Forward steps of the latest deployed run (the M of "step N of ~M"). */
  steps: number;
  /**
   * Median time up to the monitoring window of the last few deployed runs (monitoring lasts what each request says).
   */
  durationMs: number;
  /** How many runs the median is of. */
  runs: number;
}

/** How many earlier deployed runs the estimate is the median of. */
const BASELINE_RUNS = 5;

const forwardSteps = (r: Pick<DeploymentReport, 'steps'>) => r.steps.filter((s) => s.phase === 'deploy');

/** A run's time without its monitoring window: the part a new run's estimate can compare with. */
export function activeMs(r: Pick<DeploymentReport, 'steps' | 'durationMs'>): number {
  const monitor = forwardSteps(r).find((s) => s.name === 'monitor');
  return Math.max(0, r.durationMs - (monitor?.durationMs ?? 0));
}

/** From earlier reports, newest first: the latest's step count and the median active time. */
export function baselineOf(reports: Pick<DeploymentReport, 'steps' | 'durationMs'>[]): PaceBaseline | undefined {
  if (!reports.length) return undefined;
  const times = reports.map(activeMs).sort((a, b) => a - b);
  const mid = times.length >> 1;
  const median = times.length % 2 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
  return { steps: forwardSteps(reports[0]!).length, durationMs: median, runs: reports.length };
}

/** The last deployed runs of app+environment (dry runs excluded: they stop at the rehearsal). */
export async function readBaseline(
  client: Client,
  app: string,
  environment: string,
): Promise<PaceBaseline | undefined> {
  const query = `${deploymentsQuery(app, environment)} AND ${DEPLOY_OUTCOME.name} = 'deployed'`;
  const runs = await listRuns(client, query, BASELINE_RUNS);
  const reports = await Promise.all(
    runs.map((w) => deploymentResult(client.workflow.getHandle(w.workflowId, w.runId)).catch(() => undefined)),
  );
  return baselineOf(reports.filter((r): r is DeploymentReport => r?.outcome === 'deployed'));
}

/**
 * `step 7 of ~24 · 1 min 2 s elapsed · about 40 s left (median of the last 3 deployments: 1 min 42 s)`.
 * N counts the forward steps begun so far; M never reads less than N.
 */
export function paceLine(p: Progress, startedAtMs: number, nowMs: number, baseline: PaceBaseline | undefined): string {
  const n = p.steps.filter((s) => s.phase === 'deploy').length;
  const elapsedMs = Math.max(0, nowMs - startedAtMs);
  const elapsed = `${formatDuration(elapsedMs)} elapsed`;
  if (p.status === 'rolling-back') return `rolling back · ${elapsed}`;
  if (!baseline) return `step ${n} · ${elapsed} (no earlier deployment of this app and environment to estimate from)`;
  const m = Math.max(n, baseline.steps);
  const left = baseline.durationMs - elapsedMs;
  const estimate = left > 0 ? `about ${formatDuration(left)} left` : 'longer than usual';
  const of = baseline.runs === 1 ? 'the last deployment' : `median of the last ${baseline.runs} deployments`;
  return (
    `step ${n} of ~${m} · ${elapsed} · ${estimate} (${of}: ${formatDuration(baseline.durationMs)}, monitoring ` +
    `aside)`
  );
}
