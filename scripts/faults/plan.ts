/**
 * A fault plan: which activity the fault worker's interceptor watches and what it does there.
 * The runner writes it as a JSON file; the worker process finds it by the env var below.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export const FAULT_PLAN_ENV = 'SAFE_DEPLOY_FAULT_PLAN';

export const FAULT_KINDS = [
  'error',
  'kill-worker',
  'restart-server',
  'pg-outage',
  'pg-restart-immediate',
  'kill-worker-mid',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/**
 * Faults the runner lands while the step's work runs (a command of it, or its migration, in
 * flight), without holding the activity: the interceptor only marks when the work starts and ends.
 */
export const MID_WORK_KINDS: readonly FaultKind[] = ['pg-outage', 'pg-restart-immediate', 'kill-worker-mid'];
/** Faults that stop or crash the station's PostgreSQL. */
export const PG_KINDS: readonly FaultKind[] = ['pg-outage', 'pg-restart-immediate'];

/** The error an injected `error` fault raises: its own type, so the report can tell it from a real one. */
export const INJECTED_FAULT_TYPE = 'InjectedFault';

export const faultPlanSchema = z
  .object({
    kind: z.enum(FAULT_KINDS),
    /** The step the fault targets, for messages (`install-dependencies`, `restore-database`). */
    step: z.string().min(1),
    /** The activity type that runs the step (`installDependencies`). */
    activity: z.string().min(1),
    /** Top-level input fields that must be equal too: activity types are shared by steps (`{ step: 'restart-previous' }`). */
    input: z.record(z.string(), z.string()).default({}),
    /** Where the interceptor appends one JSON line per event (started, worked, threw, released). */
    markerFile: z.string().min(1),
    /** kill-worker and restart-server: the activity holds after its work until this file exists. */
    releaseFile: z.string().min(1),
  })
  .strict();
export type FaultPlan = z.infer<typeof faultPlanSchema>;

export type MarkerEvent = 'started' | 'worked' | 'threw' | 'released';
export interface Marker {
  event: MarkerEvent;
  activity: string;
  attempt: number;
  pid: number;
  at: number;
}

export function readFaultPlan(file: string): FaultPlan {
  return faultPlanSchema.parse(JSON.parse(readFileSync(file, 'utf8')));
}

/** Whether an activity execution is the one the plan targets. */
export function planMatches(plan: FaultPlan, activityType: string, firstArg: unknown): boolean {
  if (activityType !== plan.activity) return false;
  const input = (firstArg ?? {}) as Record<string, unknown>;
  return Object.entries(plan.input).every(([k, v]) => input[k] === v);
}

export function readMarkers(file: string): Marker[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Marker);
}
