/**
 * The matrix: every step that changes production × every fault kind, plus faults during the
 * rollback's own steps (reached by deploying v2-broken-migration, whose migration fails
 * half-way), each with the one end it must reach.
 */
import { INJECTED_FAULT_TYPE, type FaultKind, FAULT_KINDS } from './plan.js';
import type { Expectation } from './endState.js';

export interface FaultCase {
  /** `install-dependencies`, `restore-database`, … */
  step: string;
  kind: FaultKind;
  /** The release deployed: v2, or v2-broken-migration to reach a rollback step. */
  ref: 'v2' | 'v2-broken-migration';
  /** The activity that runs the step, and input fields that single it out (tags are resolved to commits). */
  activity: string;
  input: Record<string, string>;
  /** kill-worker: kill this long after the step started even if its work is not done (mid npm ci). Default: once the work is done, before Temporal hears of it. */
  killAfterMs?: number;
  expect: Expectation;
}

interface StepSpec {
  step: string;
  activity: string;
  input?: Record<string, string>;
  /** What an injected error (after the work) must end in; rollback steps get no error case. */
  onError?: Expectation;
  killAfterMs?: number;
}

const injected = (step: string, outcome: Expectation['outcome'], databaseRestored?: boolean): Expectation =>
  ({ outcome, errorType: INJECTED_FAULT_TYPE, errorStep: step, ...(databaseRestored === undefined ? {} : { databaseRestored }) });

/** Forward steps that change something. Before migrate the restore is not registered: the database was never touched. */
export const FORWARD_STEPS: StepSpec[] = [
  // Nothing changed but a paused door: the failure ends `aborted` after writes are resumed.
  { step: 'stop-writes', activity: 'stopWrites', input: { step: 'stop-writes' }, onError: injected('stop-writes', 'aborted') },
  { step: 'backup', activity: 'backupDatabase', onError: injected('backup', 'aborted') },
  { step: 'activate-release', activity: 'activateRelease', input: { commit: 'tag:v2' }, onError: injected('activate-release', 'rolled-back', false) },
  { step: 'install-dependencies', activity: 'installDependencies', input: { step: 'install-dependencies' }, onError: injected('install-dependencies', 'rolled-back', false), killAfterMs: 2_500 },
  { step: 'migrate', activity: 'migrateDatabase', onError: injected('migrate', 'rolled-back', true) },
  { step: 'restart', activity: 'restartApplication', input: { step: 'restart' }, onError: injected('restart', 'rolled-back', true) },
  { step: 'verify', activity: 'verifyDeployment', input: { step: 'verify' }, onError: injected('verify', 'rolled-back', true) },
  { step: 'resume-writes', activity: 'resumeWrites', input: { step: 'resume-writes' }, onError: injected('resume-writes', 'rolled-back', true) },
];

/** Rollback steps, reached through v2-broken-migration: a crash or a server restart mid-rollback must not stop it. */
export const ROLLBACK_STEPS: StepSpec[] = [
  { step: 'restore-database', activity: 'restoreDatabase' },
  { step: 'reinstall-dependencies', activity: 'installDependencies', input: { step: 'reinstall-dependencies' }, killAfterMs: 2_500 },
  { step: 'verify-rollback', activity: 'verifyDeployment', input: { step: 'verify-rollback' } },
];

const brokenMigration: Expectation = { outcome: 'rolled-back', errorType: 'MigrationFailed', errorStep: 'migrate', databaseRestored: true };

export function faultMatrix(): FaultCase[] {
  const cases: FaultCase[] = [];
  for (const s of FORWARD_STEPS) {
    for (const kind of FAULT_KINDS) {
      cases.push({ step: s.step, kind, ref: 'v2', activity: s.activity, input: s.input ?? {}, killAfterMs: s.killAfterMs, expect: kind === 'error' ? s.onError! : { outcome: 'deployed' } });
    }
  }
  // An injected error in a compensation stops the rollback on purpose (rollback-failed): it is not
  // a fault the rollback should survive, so rollback steps get the two kinds it must survive.
  for (const s of ROLLBACK_STEPS) {
    for (const kind of ['kill-worker', 'restart-server'] as const) {
      cases.push({ step: s.step, kind, ref: 'v2-broken-migration', activity: s.activity, input: s.input ?? {}, killAfterMs: s.killAfterMs, expect: brokenMigration });
    }
  }
  return cases;
}

export const caseName = (c: { step: string; kind: string }) => `${c.step}/${c.kind}`;
