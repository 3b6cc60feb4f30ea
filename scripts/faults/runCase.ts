/**
 * One case of the matrix on one station: the case's plan for the station's fault worker, a real
 * deployment, the fault (an injected error; the worker SIGKILLed and a new one started; the dev
 * server stopped and started again; the station's PostgreSQL stopped for 60 s or crashed; the
 * worker process alone SIGKILLed mid-command — while the step runs), the end state checked
 * exactly, no process left working on the station, and the station put back to v1 for the next case.
 */
import { randomUUID } from 'node:crypto';
import { readlinkSync, rmSync, watch, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import pg from 'pg';
import type { DeploymentReport } from '../../src/shared/report.js';
import { caseName, type FaultCase, type Landing } from './cases.js';
import { appPid, captureBaseline } from './dbFingerprint.js';
import { endStateProblems } from './endState.js';
import { activityAttempts } from './history.js';
import type { Lab, Station } from './lab.js';
import { MID_WORK_KINDS, readMarkers, type FaultPlan, type MarkerEvent } from './plan.js';
import { alive, cmdline, NewProcesses, stationProcesses, survivors } from './processes.js';
import { deploymentResult } from '../../src/cli/deploymentResult.js';
import { approveUpdate, progressQuery, rejectUpdate } from '../../src/workflows/messages.js';

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
  /** The station could not be put back to v1 after the case: it takes no more. */
  stationBroken?: boolean;
  /** A mid-work fault found the step's work already done: nothing was tested (faults.ts runs the case once more). */
  landingMissed?: boolean;
}

export interface CaseHooks {
  /** Called after the end-state check with a way to run it again (tests tamper with the state in between). */
  afterCheck?: (recheck: () => Promise<string[]>) => Promise<void>;
}

const CASE_TIMEOUT_MS = 10 * 60_000;
/** How long the station's PostgreSQL stays down in a pg-outage case. */
export const OUTAGE_MS = 60_000;
/** How long a command of a killed worker may outlive it: its reaper's SIGTERM, then SIGKILL after 3 s. */
const ORPHAN_GRACE_MS = 15_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A superuser session on the station's database that ignores the server going away (the faults end it). */
async function stationSession(station: Station): Promise<pg.Client> {
  const c = new pg.Client({ connectionString: station.cluster.url(station.database) });
  c.on('error', () => {
    /* the server was stopped or crashed: that is the fault */
  });
  await c.connect();
  return c;
}

/** Whether `pid` is the station's app (or a new one its restart is starting): a service of its own, spared by a worker's death. */
function isApp(station: Station, pid: number): boolean {
  const argv = cmdline(pid);
  if (!argv.includes('src/server.js')) return false;
  try {
    return readlinkSync(`/proc/${pid}/cwd`).startsWith(dirname(station.prod.appDir));
  } catch {
    return false;
  }
}

/**
 * Waits until the fault can land where the case says, while the step's first attempt runs: a
 * command of it running (in the worker's process tree), or its migration waiting for the lock
 * `blocker` holds. Throws when the step's work ended first: the fault would not be mid-work.
 */
async function awaitLanding(
  station: Station,
  landing: Landing,
  plan: FaultPlan,
  o: { until: number; finished: () => boolean; fresh: NewProcesses; blocker?: pg.Client; monitor?: pg.Client },
): Promise<string> {
  const ended = () => readMarkers(plan.markerFile).some((m) => m.event === 'worked' || m.event === 'threw');
  if ('blockedOn' in landing) {
    const blockerPid = (o.blocker as unknown as { processID: number }).processID;
    while (Date.now() < o.until && !o.finished()) {
      const { rows } = await o.monitor!.query<{ pid: number; query: string }>(
        'SELECT pid, left(query, 80) AS query FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
        [blockerPid],
      );
      if (rows.length > 0) return `mid-work: ${landing.what}`;
      if (ended()) break;
      await sleep(100);
    }
    throw new LandingMissed(
      `the fault could not land mid-work: ${plan.activity} (${plan.step}) ended without waiting on the lock on ${landing.blockedOn}`,
    );
  }
  const pattern = new RegExp(landing.command);
  while (Date.now() < o.until && !o.finished()) {
    const worker = station.worker.pid;
    const found =
      worker === undefined ? undefined : o.fresh.below(worker).find((p) => pattern.test(cmdline(p).join(' ')));
    if (found !== undefined) {
      // git: which one (the step runs several).
      const argv = cmdline(found);
      const what = argv[0] === 'git' && argv[1] === '-C' && argv[3] ? `git ${argv[3]}` : landing.what;
      if (!landing.afterMs) return `mid-work: ${what} running`;
      await sleep(landing.afterMs);
      if (alive(found)) return `mid-work: ${what} running ${landing.afterMs} ms`;
      throw new LandingMissed(`the fault could not land mid-work: ${landing.what} ended within ${landing.afterMs} ms`);
    }
    if (ended()) break;
    await sleep(1);
  }
  throw new LandingMissed(
    `the fault could not land mid-work: ${plan.activity} (${plan.step}) ended before a command matching /${landing.command}/ was seen`,
  );
}

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

/** Waits for one of `events` in the marker file: woken by the file's change (inotify), else every 50 ms. */
async function waitForMarker(
  file: string,
  events: MarkerEvent[],
  o: { until: number; finished: () => boolean },
): Promise<MarkerEvent | undefined> {
  const seen = () =>
    readMarkers(file)
      .map((m) => m.event)
      .find((e) => events.includes(e));
  let wake: () => void = () => {};
  const watcher = watch(dirname(file), (_, name) => {
    if (name === basename(file)) wake();
  });
  try {
    while (Date.now() < o.until && !o.finished()) {
      const event = seen();
      if (event) return event;
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 50);
      });
    }
    return seen();
  } finally {
    watcher.close();
  }
}

/**
 * Watches the deployment for a person being asked (its progress, every 2 s) until it ends: the
 * case's own gate gets the case's answer (by 'faults'); any other gate throws, naming it and
 * what it asks (a deployment waiting there would hold the case until its timeout).
 */
async function watchGates(
  handle: WorkflowHandle,
  c: FaultCase,
  o: { until: number; finished: () => boolean },
): Promise<void> {
  let answered = false;
  while (Date.now() < o.until && !o.finished()) {
    // The dev server or the worker may be away (the case's fault): ask again.
    const waiting = (await handle.query(progressQuery).catch(() => undefined))?.waitingFor;
    if (waiting?.kind === 'approval' && !answered) {
      if (waiting.gate !== c.answer?.gate)
        throw new Error(
          `the deployment waits for a person at the ${waiting.gate} gate, which the case does not answer: ${waiting.detail}`,
        );
      await handle.executeUpdate(c.answer.decision === 'approved' ? approveUpdate : rejectUpdate, {
        args: [{ by: 'faults', reason: c.answer.reason }],
      });
      answered = true;
    }
    await sleep(2_000);
  }
}

/** The fault could not land where the case says: the step's work ended first. Nothing was tested; the runner tries the case once more. */
export class LandingMissed extends Error {}

/** A case's result before it ran (or when its runner failed): nothing landed, nothing exact. */
export function caseNotRun(c: FaultCase, station: Station, workflowId: string): CaseResult {
  return {
    step: c.step,
    kind: c.kind,
    setup: c.setup,
    expected: c.expect.outcome,
    outcome: '-',
    exact: false,
    seconds: 0,
    landed: '-',
    attempts: 0,
    workflowId,
    station: station.name,
    timeline: [],
    problems: [],
  };
}

export async function runCase(
  lab: Lab,
  station: Station,
  c: FaultCase,
  log: (line: string) => void,
  hooks: CaseHooks = {},
): Promise<CaseResult> {
  const started = Date.now();
  const slug = caseName(c).replace(/\W+/g, '-');
  const id = randomUUID().slice(0, 8);
  const result = caseNotRun(c, station, `faults-${slug}-${id}`);
  const plan: FaultPlan = {
    kind: c.kind,
    step: c.step,
    activity: c.activity,
    input: Object.fromEntries(
      Object.entries(c.input).map(([k, v]) => [k, v.startsWith('tag:') ? lab.origin.tags[v.slice(4)]! : v]),
    ),
    markerFile: join(lab.logDir, `${slug}-${id}.markers`),
    releaseFile: join(lab.logDir, `${slug}-${id}.release`),
  };
  const workerLog = station.worker.logFile;
  let handle: WorkflowHandle | undefined;
  let blocker: pg.Client | undefined;
  let monitor: pg.Client | undefined;
  /** Set while the station's PostgreSQL is stopped by the case: it is started again whatever happens. */
  let restartPg: Promise<void> | undefined;
  /** Set when the deployment waits at a gate the case does not answer. */
  let gateProblem: string | undefined;
  try {
    if (station.setup !== c.setup)
      throw new Error(`station ${station.name} is set up ${station.setup}, the case needs ${c.setup}`);
    const baseline = await captureBaseline(station.prod, lab.pgBinDir);
    if (station.worker.pid === undefined) await station.worker.start();
    if (c.landing && 'blockedOn' in c.landing) {
      // Taken before the deployment: the migration's ALTER TABLE waits for it (ACCESS SHARE lets everything else through).
      blocker = await stationSession(station);
      monitor = await stationSession(station);
      await blocker.query('BEGIN');
      await blocker.query(`LOCK TABLE ${c.landing.blockedOn} IN ACCESS SHARE MODE`);
    }
    writeFileSync(station.planFile, JSON.stringify(plan, null, 2));
    const fresh = new NewProcesses(); // the step's commands start after this
    handle = await lab.client.workflow.start('safeDeployment', {
      taskQueue: station.taskQueue,
      workflowId: result.workflowId,
      args: [
        {
          app: 'farm-chat',
          environment: c.rehearsal ? station.rehearsedEnvironment : station.environment,
          ref: c.ref,
          reason: `fault matrix: ${caseName(c)}`,
          requestedBy: 'faults',
        },
      ],
    });
    const deadline = started + CASE_TIMEOUT_MS;
    let finished = false;
    const outcome = resultOf(handle, deadline).finally(() => {
      finished = true;
    });
    outcome.catch(() => undefined);
    // A deployment stuck at a gate ends the case (and every wait of the runner's) at once.
    const gates = watchGates(handle, c, { until: deadline, finished: () => finished }).catch((err: Error) => {
      gateProblem = err.message;
      finished = true;
    });
    const stuck = gates.then(() => (gateProblem ? Promise.reject(new Error(gateProblem)) : outcome));
    stuck.catch(() => undefined);

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
      log(
        `SIGKILL worker ${pid} and its ${killed.length - 1} child processes (${result.landed}); starting a new worker`,
      );
      await station.worker.start();
    } else if (c.kind === 'restart-server') {
      const event = await waitForMarker(plan.markerFile, ['worked', 'threw'], {
        until: deadline,
        finished: () => finished,
      });
      if (event !== 'worked') throw new Error(`${c.activity} failed by itself before the fault: see ${workerLog}`);
      result.landed = 'after the work';
      await lab.server.stop();
      // The held activity now finishes while the server is down: its completion has nowhere to go yet.
      writeFileSync(plan.releaseFile, '');
      await sleep(2_000);
      await lab.server.start();
      log(`${lab.server.name} stopped and started again (pid ${lab.server.pid()}) while ${c.step} ran`);
    } else if (MID_WORK_KINDS.includes(c.kind)) {
      if (!c.landing) throw new Error(`${caseName(c)} has no landing`);
      result.landed = await awaitLanding(station, c.landing, plan, {
        until: deadline,
        finished: () => finished,
        fresh,
        blocker,
        monitor,
      });
      if (c.kind === 'kill-worker-mid') {
        const killed = await station.worker.killAlone(
          (p) => isApp(station, p),
          (pid) => fresh.below(pid),
        );
        log(
          `SIGKILL worker ${killed.pid} alone (${result.landed}); it was running: ${killed.commands.map((k) => k.argv.slice(0, 60)).join(' | ') || 'nothing'}`,
        );
        // Where it really landed: a quick command may have ended between seeing it and the kill.
        const landing = c.landing;
        if ('command' in landing && !killed.commands.some((k) => new RegExp(landing.command).test(k.argv))) {
          result.landed =
            killed.commands.length > 0
              ? `mid-work: between commands (${killed.commands[0]!.argv.split(' ').slice(0, 3).join(' ')} running)`
              : 'mid-work: between commands';
        }
        // Its commands die with it (their reapers kill their process groups): none may live on.
        const left = await survivors(
          killed.commands.map((k) => k.pid),
          ORPHAN_GRACE_MS,
        );
        for (const p of left)
          result.problems.push(
            `orphan: ${killed.commands.find((k) => k.pid === p)?.argv.slice(0, 120)} (pid ${p}) outlived the killed worker by ${ORPHAN_GRACE_MS / 1000} s`,
          );
        await blocker?.end().catch(() => undefined);
        await station.worker.start();
      } else if (c.kind === 'pg-outage') {
        const down = Date.now();
        await station.cluster.shutdown('fast');
        log(
          `PostgreSQL on ${station.cluster.port} stopped (fast) ${result.landed}; starting it again in ${OUTAGE_MS / 1000} s`,
        );
        restartPg = (async () => {
          await sleep(Math.max(0, down + OUTAGE_MS - Date.now()));
          await station.cluster.startAgain();
          log(`PostgreSQL on ${station.cluster.port} started again after ${Math.round((Date.now() - down) / 1000)} s`);
        })();
        await restartPg;
        restartPg = undefined;
      } else {
        await station.cluster.restart('immediate');
        log(
          `PostgreSQL on ${station.cluster.port} restarted in immediate mode (a crash, then recovery) ${result.landed}`,
        );
      }
      await blocker?.end().catch(() => undefined);
      await monitor?.end().catch(() => undefined);
    }

    const report = await Promise.race([outcome, stuck]);
    result.outcome = report.outcome;
    result.timeline = report.steps.map(
      (s) =>
        `${s.phase === 'rollback' ? 'undo ' : ''}${s.name} ${s.status} ${((s.durationMs ?? 0) / 1000).toFixed(1)}s`,
    );
    const { verifications, attempts } = await activityAttempts(handle, plan);
    result.attempts = attempts;
    const checkIds: string[] = [];
    const check = () => {
      const earlierCheckRunIds = [...checkIds];
      checkIds.push(`faults-${id}-${checkIds.length + 1}`);
      return endStateProblems({
        prod: station.prod,
        pgBinDir: lab.pgBinDir,
        tags: lab.origin.tags,
        baseline,
        v2Reference: lab.v2Reference,
        expectation: c.expect,
        report,
        facts: { verifications },
        checkRunId: checkIds.at(-1)!,
        earlierCheckRunIds,
      });
    };
    result.problems.push(...(await check()));
    // Nothing may still work on the station once the deployment has ended: no command a fault orphaned.
    for (const p of stationProcesses({
      rootDir: dirname(station.prod.appDir),
      pgPort: station.cluster.port,
      keep: [appPid(station.prod) ?? -1],
    })) {
      result.problems.push(`orphan: pid ${p.pid} (${p.argv}) still runs on the station after the deployment ended`);
    }
    result.exact = result.problems.length === 0;
    await hooks.afterCheck?.(check);
  } catch (err) {
    if (err instanceof LandingMissed && !gateProblem) result.landingMissed = true;
    result.problems.push(`case failed: ${gateProblem ?? (err as Error).message}`);
    if (handle) await handle.terminate('fault matrix: case failed').catch(() => undefined);
    // A terminated workflow does not cancel the activity its worker runs (an npm ci, a pg_dump):
    // the worker goes, with every command it started, before the station is put back to v1.
    // Seen: a reset raced the abandoned deployment's npm ci ('Unexpected end of JSON input').
    if (handle) {
      await station.worker.crash([appPid(station.prod) ?? 0]).catch(() => []);
      await station.worker.start();
    }
  } finally {
    await restartPg?.catch(() => undefined);
    await blocker?.end().catch(() => undefined);
    await monitor?.end().catch(() => undefined);
    rmSync(station.planFile, { force: true });
    writeFileSync(plan.releaseFile, '');
    result.seconds = Math.round((Date.now() - started) / 1000);
  }
  // Back to v1 for the next case: a rollback did that already (and it was checked); a deployment did not.
  try {
    if (result.outcome === 'deployed' || !result.exact)
      log(`reset to v1 in ${Math.round((await station.resetToV1()) / 1000)} s`);
    else await station.dropLeftovers();
  } catch (err) {
    result.problems.push(
      `the station could not be put back to v1, so it takes no more cases: ${(err as Error).message}`,
    );
    result.exact = false;
    result.stationBroken = true;
  }
  return result;
}

/**
 * runCase, and once more when a mid-work fault found the step's work already done (a command of
 * a few milliseconds ended before the runner saw it): nothing was tested, and the station is back
 * at v1. The result says it took a second deployment.
 */
export async function runCaseLanded(
  lab: Lab,
  station: Station,
  c: FaultCase,
  log: (line: string) => void,
  hooks: CaseHooks = {},
): Promise<CaseResult> {
  const first = await runCase(lab, station, c, log, hooks);
  if (!first.landingMissed || first.stationBroken) return first;
  log(`${first.problems.join('; ')}; the station is back at v1: deploying again`);
  const second = await runCase(lab, station, c, log, hooks);
  second.landed = `${second.landed} (2nd deployment)`;
  return second;
}
