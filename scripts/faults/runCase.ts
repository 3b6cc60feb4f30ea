/**
 * One case of the matrix on one station: the case's plan for the station's fault worker, a real
 * deployment, the fault (an injected error; the worker SIGKILLed and a new one started; the dev
 * server stopped and started again, while the step runs), the end state checked exactly, and
 * the station put back to v1 for the next case.
 */
import { randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { DeploymentReport } from '../../src/shared/report.js';
import { caseName, type FaultCase } from './cases.js';
import { appPid, captureBaseline } from './dbFingerprint.js';
import { endStateProblems } from './endState.js';
import { activityAttempts } from './history.js';
import type { Lab, Station } from './lab.js';
import { readMarkers, type FaultPlan, type MarkerEvent } from './plan.js';
import { deploymentResult } from '../../src/cli/deploymentResult.js';

export interface CaseResult {
  step: string;
  kind: string;
  /** The production's code layout and backup method (cases.ts). */
  setup: string;
  expected: string;
  outcome: string;
  exact: boolean;
  seconds: number;
  /** Where the fault landed: `after the work` (held before Temporal heard of it), `mid-work (… ms in)`, `error after the work`. */
  landed: string;
  /** Attempts of the faulted activity (from the history): 2 when a kill made Temporal retry it. */
  attempts: number;
  workflowId: string;
  station: string;
  /** The deployment's steps with their seconds, for reading where the time went. */
  timeline: string[];
  problems: string[];
}

export interface CaseHooks {
  /** Called after the end-state check with a way to run it again (tests tamper with the state in between). */
  afterCheck?: (recheck: () => Promise<string[]>) => Promise<void>;
}

const CASE_TIMEOUT_MS = 10 * 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The workflow's result, asking again while the dev server is down. */
async function resultOf(handle: WorkflowHandle, deadline: number): Promise<DeploymentReport> {
  for (;;) {
    try {
      return await deploymentResult(handle);
    } catch (err) {
      if (err instanceof WorkflowFailedError || Date.now() > deadline) throw err;
      await sleep(1_000);
    }
  }
}

async function waitForMarker(file: string, events: MarkerEvent[], o: { until: number; finished: () => boolean }): Promise<MarkerEvent | undefined> {
  const seen = () => readMarkers(file).map((m) => m.event).find((e) => events.includes(e));
  while (Date.now() < o.until && !o.finished()) {
    const event = seen();
    if (event) return event;
    await sleep(50);
  }
  return seen();
}

export async function runCase(lab: Lab, station: Station, c: FaultCase, log: (line: string) => void, hooks: CaseHooks = {}): Promise<CaseResult> {
  const started = Date.now();
  const slug = caseName(c).replace(/\W+/g, '-');
  const id = randomUUID().slice(0, 8);
  const result: CaseResult = {
    step: c.step, kind: c.kind, setup: c.setup, expected: c.expect.outcome, outcome: '-', exact: false, seconds: 0, landed: '-', attempts: 0,
    workflowId: `faults-${slug}-${id}`, station: station.name, timeline: [], problems: [],
  };
  const plan: FaultPlan = {
    kind: c.kind, step: c.step, activity: c.activity,
    input: Object.fromEntries(Object.entries(c.input).map(([k, v]) => [k, v.startsWith('tag:') ? lab.origin.tags[v.slice(4)]! : v])),
    markerFile: join(lab.logDir, `${slug}-${id}.markers`),
    releaseFile: join(lab.logDir, `${slug}-${id}.release`),
  };
  const workerLog = station.worker.logFile;
  let handle: WorkflowHandle | undefined;
  try {
    if (station.setup !== c.setup) throw new Error(`station ${station.name} is set up ${station.setup}, the case needs ${c.setup}`);
    const baseline = await captureBaseline(station.prod, lab.pgBinDir);
    if (station.worker.pid === undefined) await station.worker.start();
    writeFileSync(station.planFile, JSON.stringify(plan, null, 2));
    handle = await lab.client.workflow.start('safeDeployment', {
      taskQueue: station.taskQueue, workflowId: result.workflowId,
      args: [{ app: 'farm-chat', environment: station.environment, ref: c.ref, reason: `fault matrix: ${caseName(c)}`, requestedBy: 'faults' }],
    });
    const deadline = started + CASE_TIMEOUT_MS;
    let finished = false;
    const outcome = resultOf(handle, deadline).finally(() => { finished = true; });
    outcome.catch(() => undefined);

    if (!(await waitForMarker(plan.markerFile, ['started'], { until: deadline, finished: () => finished }))) {
      throw new Error(`the fault was never injected: ${c.activity} (${c.step}) did not start`);
    }
    if (c.kind === 'error') {
      result.landed = 'error after the work';
    } else if (c.kind === 'kill-worker') {
      const until = c.killAfterMs ? Math.min(deadline, Date.now() + c.killAfterMs) : deadline;
      const event = await waitForMarker(plan.markerFile, ['worked', 'threw'], { until, finished: () => finished });
      if (event === 'threw') throw new Error(`${c.activity} failed by itself before the fault: see ${workerLog}`);
      result.landed = event === 'worked' ? 'after the work' : `mid-work (${c.killAfterMs} ms in)`;
      const pid = station.worker.pid;
      const killed = await station.worker.crash([appPid(station.prod) ?? 0]);
      log(`SIGKILL worker ${pid} and its ${killed.length - 1} child processes (${result.landed}); starting a new worker`);
      await station.worker.start();
    } else {
      const event = await waitForMarker(plan.markerFile, ['worked', 'threw'], { until: deadline, finished: () => finished });
      if (event !== 'worked') throw new Error(`${c.activity} failed by itself before the fault: see ${workerLog}`);
      result.landed = 'after the work';
      await lab.server.stop();
      // The held activity now finishes while the server is down: its completion has nowhere to go yet.
      writeFileSync(plan.releaseFile, '');
      await sleep(2_000);
      await lab.server.start();
      log(`dev server stopped and started again (pid ${lab.server.pid()}) while ${c.step} ran`);
    }

    const report = await outcome;
    result.outcome = report.outcome;
    result.timeline = report.steps.map((s) => `${s.phase === 'rollback' ? 'undo ' : ''}${s.name} ${s.status} ${((s.durationMs ?? 0) / 1000).toFixed(1)}s`);
    const { verifications, attempts } = await activityAttempts(handle, plan);
    result.attempts = attempts;
    const checkIds: string[] = [];
    const check = () => {
      const earlierCheckRunIds = [...checkIds];
      checkIds.push(`faults-${id}-${checkIds.length + 1}`);
      return endStateProblems({
        prod: station.prod, pgBinDir: lab.pgBinDir, tags: lab.origin.tags, baseline, v2Reference: lab.v2Reference,
        expectation: c.expect, report, facts: { verifications }, checkRunId: checkIds.at(-1)!, earlierCheckRunIds,
      });
    };
    result.problems = await check();
    result.exact = result.problems.length === 0;
    await hooks.afterCheck?.(check);
  } catch (err) {
    result.problems.push(`case failed: ${(err as Error).message}`);
    if (handle) await handle.terminate('fault matrix: case failed').catch(() => undefined);
  } finally {
    rmSync(station.planFile, { force: true });
    writeFileSync(plan.releaseFile, '');
    result.seconds = Math.round((Date.now() - started) / 1000);
  }
  // Back to v1 for the next case: a rollback did that already (and it was checked); a deployment did not.
  if (result.outcome === 'deployed' || !result.exact) log(`reset to v1 in ${Math.round((await station.resetToV1()) / 1000)} s`);
  else await station.dropLeftovers();
  return result;
}
