/**
 * The same deployment without orchestration: the activity calls a workflow made, read from its
 * event history with their exact inputs, run one after the other in this process, as a bare
 * script would run the same commands. Calls that only talk to Temporal itself are left out.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { createActivities } from '../../src/activities/index.js';

const ORCHESTRATION_ONLY = new Set(['registeredSearchAttributes', 'describeDeploymentLock']);

export interface ActivityCall {
  name: string;
  args: unknown[];
}

export async function activityCalls(handle: WorkflowHandle): Promise<ActivityCall[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const a = e.activityTaskScheduledEventAttributes;
    const name = a?.activityType?.name;
    if (!a || !name || ORCHESTRATION_ONLY.has(name)) return [];
    return [{ name, args: (a.input?.payloads ?? []).map((p) => defaultPayloadConverter.fromPayload(p)) }];
  });
}

/**
 * Runs the calls in order, as a bare script would write them; returns the wall time and each
 * call's duration. The snapshot's parts take what this run made, not the workflow's (a copy made
 * again is another database): the fingerprint gets this run's copy and runs beside the next calls
 * until the migration (or the dump) needs it, as the workflow runs it; the dump gets its facts.
 */
export async function replay(
  calls: ActivityCall[],
  configPath: string,
): Promise<{ wallMs: number; steps: { name: string; ms: number }[] }> {
  const activities = createActivities({ configPath, env: process.env }) as unknown as Record<
    string,
    (...a: unknown[]) => Promise<unknown>
  >;
  const steps: { name: string; ms: number }[] = [];
  const started = Date.now();
  let copy: unknown;
  let fingerprinted: Promise<unknown> | undefined;
  const timed = async (name: string, fn: () => Promise<unknown>) => {
    const t = Date.now();
    const r = await fn();
    steps.push({ name, ms: Date.now() - t });
    return r;
  };
  for (const call of calls) {
    const [input, ...rest] = call.args as [Record<string, unknown>, ...unknown[]];
    if (call.name === 'fingerprintBackup' && input.step === 'fingerprint-backup' && !fingerprinted) {
      fingerprinted = timed(call.name, () => activities[call.name]!({ ...input, copy }, ...rest));
      continue;
    }
    if ((call.name === 'migrateDatabase' || call.name === 'dumpBackup') && fingerprinted) await fingerprinted;
    const args =
      call.name === 'dumpBackup' && fingerprinted ? [{ ...input, backup: await fingerprinted }, ...rest] : call.args;
    const r = await timed(call.name, () => activities[call.name]!(...args));
    if (call.name === 'copyDatabaseForBackup') copy = r;
  }
  await fingerprinted;
  return { wallMs: Date.now() - started, steps };
}

const seconds = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) =>
  Number(t?.seconds ?? 0) + (t?.nanos ?? 0) / 1e9;

/**
 * Inside one run: the time from each activity's scheduling to its completion, summed (they run
 * one after the other), against the workflow's own span. What is left is orchestration.
 */
export async function activityTime(handle: WorkflowHandle): Promise<{ activityMs: number; workflowMs: number }> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = new Map<string, number>();
  let activityMs = 0;
  for (const e of events) {
    if (e.activityTaskScheduledEventAttributes) scheduled.set(String(e.eventId), seconds(e.eventTime));
    const done = e.activityTaskCompletedEventAttributes;
    if (done)
      activityMs +=
        (seconds(e.eventTime) - (scheduled.get(String(done.scheduledEventId)) ?? seconds(e.eventTime))) * 1000;
  }
  const workflowMs = (seconds(events.at(-1)?.eventTime) - seconds(events[0]?.eventTime)) * 1000;
  return { activityMs: Math.round(activityMs), workflowMs: Math.round(workflowMs) };
}

/** The activities that read who wrote since a point in time. */
const WRITE_READINGS = new Set(['stopWrites', 'countWrites', 'readWritePoint', 'resumeWrites']);
/** What the statistics' odometer slept per reading that accounts for other people's writes (PUBLISHED_AFTER_MS). */
const ODOMETER_SLEEP_MS = 11_000;

/**
 * Time a deployment's write readings spent sleeping for PostgreSQL's statistics, from its
 * history: a write point says so itself (`sleptMs`); an odometer reading (deployments before
 * write points) slept its `settleMs`, 11 s by default, and stopWrites slept it under `detect`.
 */
export async function statisticsWaitMs(handle: WorkflowHandle): Promise<{ ms: number; readings: number }> {
  const events = (await handle.fetchHistory()).events ?? [];
  const calls = new Map<string, { name: string; input: Record<string, unknown> }>();
  let ms = 0;
  let readings = 0;
  for (const e of events) {
    const a = e.activityTaskScheduledEventAttributes;
    const name = a?.activityType?.name;
    if (a && name && WRITE_READINGS.has(name))
      calls.set(String(e.eventId), { name, input: defaultPayloadConverter.fromPayload(a.input!.payloads![0]!) });
    const done = e.activityTaskCompletedEventAttributes;
    const call = done && calls.get(String(done.scheduledEventId));
    if (!call) continue;
    const result = (done.result?.payloads?.[0] ? defaultPayloadConverter.fromPayload(done.result.payloads[0]) : {}) as {
      stopped?: boolean;
      counters?: unknown;
      point?: { sleptMs: number };
      sleptMs?: number;
    };
    const point = result.point ?? (typeof result.sleptMs === 'number' ? { sleptMs: result.sleptMs } : undefined);
    if (point) {
      ms += point.sleptMs;
      readings++;
    } else if (call.name === 'countWrites') {
      ms += typeof call.input.settleMs === 'number' ? call.input.settleMs : ODOMETER_SLEEP_MS;
      readings++;
    } else if (call.name === 'stopWrites' && result.counters && result.stopped === false) {
      ms += ODOMETER_SLEEP_MS;
      readings++;
    }
  }
  return { ms, readings };
}
