/**
 * The matrix: every step that changes production × every fault kind, plus faults during the
 * rollback's own steps (reached by deploying v2-broken-migration, whose migration fails
 * half-way), each with the one end it must reach — on a production in place backed up by dumps;
 * then the steps that work differently in release directories backed up by snapshots (the
 * snapshot copied in the pause, fingerprinted beside the code steps, dumped after writes
 * resume); then the online rehearsal (on its own environment of the station, the only one with
 * the rehearsal on); then the faults that land while a step's work runs (MID_WORK_CASES):
 * PostgreSQL stopped for 60 s or crashed, the worker process alone SIGKILLed.
 */
import { INJECTED_FAULT_TYPE, type FaultKind } from './plan.js';
import type { Expectation } from './endState.js';

/**
 * How a station's production is set up: its code layout and its backup method. `in-place+dump`:
 * one git working copy, a dump restored on rollback. `releases+snapshot`: release directories and
 * a `current` symlink, a same-cluster snapshot renamed in on rollback.
 */
export const SETUPS = ['in-place+dump', 'releases+snapshot'] as const;
export type Setup = (typeof SETUPS)[number];

export interface FaultCase {
  /** `install-dependencies`, `restore-database`, … */
  step: string;
  setup: Setup;
  kind: FaultKind;
  /** The release deployed: v2, or v2-broken-migration to reach a rollback step. */
  ref: 'v2' | 'v2-broken-migration';
  /**
   * Deployed with the rehearsal on (the station's rehearsed environment, lab.ts): the migration
   * first runs on an online pg_dump copy, before writes pause. Off everywhere else: the rollback
   * cases need v2-broken-migration to fail on production, not on the copy.
   */
  rehearsal?: boolean;
  /** The activity that runs the step, and input fields that single it out (tags are resolved to commits). */
  activity: string;
  input: Record<string, string>;
  /** kill-worker: kill this long after the step started even if its work is not done (mid npm ci). Default: once the work is done, before Temporal hears of it. */
  killAfterMs?: number;
  /** The mid-work kinds: where in the step's work the fault lands. */
  landing?: Landing;
  /**
   * A person's answer the runner gives when the deployment waits at this gate (by 'faults');
   * a deployment that waits at any other gate fails the case at once.
   */
  answer?: GateAnswerSpec;
  expect: Expectation;
}

/** What the runner answers at a gate, and why (kept in the history, as a person's reason is). */
export interface GateAnswerSpec {
  gate: string;
  decision: 'approved' | 'rejected';
  reason: string;
}

/**
 * Where a mid-work fault lands, found by the runner while the step runs:
 *  - `command`: once a command of the worker whose argv matches this pattern runs (its reaper's
 *    child), `afterMs` after it appeared (it must still be running then);
 *  - `blockedOn`: once the step's migration waits for a lock on this table, which the runner took
 *    before the deployment (so the fault lands mid-migration, not before or after it).
 */
export type Landing = { command: string; what: string; afterMs?: number } | { blockedOn: string; what: string };

interface StepSpec {
  step: string;
  activity: string;
  input?: Record<string, string>;
  /** What an injected error (after the work) must end in; rollback steps get no error case. */
  onError?: Expectation;
  /** The gate the error's rollback stops at, and the runner's answer there. */
  onErrorAnswer?: GateAnswerSpec;
  killAfterMs?: number;
}

const injected = (step: string, outcome: Expectation['outcome'], databaseRestored?: boolean): Expectation => ({
  outcome,
  errorType: INJECTED_FAULT_TYPE,
  errorStep: step,
  ...(databaseRestored === undefined ? {} : { databaseRestored }),
});

/** Forward steps that change something. Before migrate the restore is not registered: the database was never touched. */
export const FORWARD_STEPS: StepSpec[] = [
  // In place, the release is staged (checkout, npm ci, build) before writes pause: a failure there
  // ends `aborted` with nothing paused; a kill lands mid npm ci.
  {
    step: 'stage-release',
    activity: 'stageRelease',
    input: { commit: 'tag:v2' },
    onError: injected('stage-release', 'aborted'),
    killAfterMs: 2_500,
  },
  // Nothing changed but a paused door: the failure ends `aborted` after writes are resumed.
  {
    step: 'stop-writes',
    activity: 'stopWrites',
    input: { step: 'stop-writes' },
    onError: injected('stop-writes', 'aborted'),
  },
  { step: 'backup', activity: 'backupDatabase', onError: injected('backup', 'aborted') },
  {
    step: 'activate-release',
    activity: 'activateRelease',
    input: { commit: 'tag:v2' },
    onError: injected('activate-release', 'rolled-back', false),
  },
  // The staged install moved in: renames of a few milliseconds, so a kill lands after the work.
  {
    step: 'install-dependencies',
    activity: 'installDependencies',
    input: { step: 'install-dependencies' },
    onError: injected('install-dependencies', 'rolled-back', false),
  },
  { step: 'migrate', activity: 'migrateDatabase', onError: injected('migrate', 'rolled-back', true) },
  {
    step: 'restart',
    activity: 'restartApplication',
    input: { step: 'restart' },
    onError: injected('restart', 'rolled-back', true),
  },
  {
    step: 'verify',
    activity: 'verifyDeployment',
    input: { step: 'verify' },
    onError: injected('verify', 'rolled-back', true),
  },
  // The write point was read and writes resumed, then the step failed: the point never reached
  // the workflow, so the rollback cannot count what others wrote since and asks before
  // restoring (lost-writes). Nobody but the deployment writes here: a person approves.
  {
    step: 'resume-writes',
    activity: 'resumeWrites',
    input: { step: 'resume-writes' },
    onError: {
      ...injected('resume-writes', 'rolled-back', true),
      decided: { gate: 'lost-writes', decision: 'approved' },
    },
    onErrorAnswer: {
      gate: 'lost-writes',
      decision: 'approved',
      reason: 'fault matrix: nobody but the deployment writes to this production',
    },
  },
];

/** Rollback steps, reached through v2-broken-migration: a crash or a server restart mid-rollback must not stop it. */
export const ROLLBACK_STEPS: StepSpec[] = [
  { step: 'restore-database', activity: 'restoreDatabase' },
  // v1's kept install moved back (or, without its marker, npm ci): a kill lands after the work or mid npm ci.
  { step: 'reinstall-dependencies', activity: 'installDependencies', input: { step: 'reinstall-dependencies' } },
  { step: 'verify-rollback', activity: 'verifyDeployment', input: { step: 'verify-rollback' } },
];

/**
 * Release directories backed up by snapshots: the steps whose work differs there — staging the
 * release (npm ci in its own directory), the snapshot, the symlink switch, the snapshot renamed
 * in and the symlink switched back — with the kinds that reach what differs.
 */
export const RELEASES_SNAPSHOT_CASES: (StepSpec & { kind: FaultKind; ref: FaultCase['ref'] })[] = [
  {
    step: 'stage-release',
    kind: 'kill-worker',
    ref: 'v2',
    activity: 'stageRelease',
    input: { commit: 'tag:v2' },
    killAfterMs: 2_500,
  },
  // In the pause, only the template copy (the fingerprint and the dump come later).
  {
    step: 'backup',
    kind: 'error',
    ref: 'v2',
    activity: 'copyDatabaseForBackup',
    onError: injected('backup', 'aborted'),
  },
  { step: 'backup', kind: 'kill-worker', ref: 'v2', activity: 'copyDatabaseForBackup' },
  // Beside activate-release: a failure is met once the code moved, before the migration (which
  // waits for it): code put back, the database never touched (no restore registered yet; the
  // rollback's verification proves the snapshot again, with step 'verify-rollback').
  {
    step: 'fingerprint-backup',
    kind: 'error',
    ref: 'v2',
    activity: 'fingerprintBackup',
    input: { step: 'fingerprint-backup' },
    onError: injected('fingerprint-backup', 'rolled-back', false),
  },
  {
    step: 'fingerprint-backup',
    kind: 'kill-worker',
    ref: 'v2',
    activity: 'fingerprintBackup',
    input: { step: 'fingerprint-backup' },
  },
  {
    step: 'activate-release',
    kind: 'kill-worker',
    ref: 'v2',
    activity: 'activateRelease',
    input: { commit: 'tag:v2' },
  },
  // After writes resumed: the release is live, but without its off-server dump it is rolled back (the snapshot renamed in).
  {
    step: 'dump-backup',
    kind: 'error',
    ref: 'v2',
    activity: 'dumpBackup',
    onError: injected('dump-backup', 'rolled-back', true),
  },
  { step: 'dump-backup', kind: 'kill-worker', ref: 'v2', activity: 'dumpBackup' },
  {
    step: 'migrate',
    kind: 'error',
    ref: 'v2',
    activity: 'migrateDatabase',
    onError: injected('migrate', 'rolled-back', true),
  },
  { step: 'restore-database', kind: 'kill-worker', ref: 'v2-broken-migration', activity: 'restoreDatabase' },
  { step: 'restore-database', kind: 'restart-server', ref: 'v2-broken-migration', activity: 'restoreDatabase' },
  {
    step: 'reactivate-release',
    kind: 'kill-worker',
    ref: 'v2-broken-migration',
    activity: 'activateRelease',
    input: { commit: 'tag:v1' },
  },
];

/**
 * The online rehearsal, in place (before writes pause: a pg_dump of production, restored into a
 * copy, migrated there): an error ends `aborted` with writes never paused and production never
 * touched; a killed worker's retry rehearses again and the deployment goes on.
 */
export const REHEARSAL_CASES: (StepSpec & { kind: FaultKind })[] = [
  {
    step: 'rehearse',
    kind: 'error',
    activity: 'rehearseMigration',
    onError: { ...injected('rehearse', 'aborted'), writesNeverPaused: true },
  },
  { step: 'rehearse', kind: 'kill-worker', activity: 'rehearseMigration' },
];

const brokenMigration: Expectation = {
  outcome: 'rolled-back',
  errorType: 'MigrationFailed',
  errorStep: 'migrate',
  databaseRestored: true,
};

/** The station's backup method: a restored database must come from it, a deployed case must leave it whole. */
const onSetup = (e: Expectation, setup: Setup): Expectation => {
  const method = setup === 'in-place+dump' ? 'dump' : 'snapshot';
  return { ...e, backupMethod: method, ...(e.databaseRestored ? { restoredFrom: method } : {}) };
};

const deployed: Expectation = { outcome: 'deployed' };
/** Deployed, and the rehearsal's report is there: the migration ran on the copy first. */
const rehearsedDeployed: Expectation = { outcome: 'deployed', rehearsed: true };
/** A migration whose session died with its server, its worker or the lock it waited on: never run again, the backup comes back. */
const migrationCut: Expectation = {
  outcome: 'rolled-back',
  errorType: 'MigrationFailed',
  errorStep: 'migrate',
  databaseRestored: true,
};

const appctl = (action: string): Landing => ({ command: `appctl\\.mjs ${action} `, what: `appctl ${action}` });
const npmCi: Landing = { command: '(^|/)npm(-cli\\.js)? ci ', what: 'npm ci', afterMs: 1_500 };
const pgDump: Landing = { command: '/pg_dump --format=', what: 'pg_dump' };
const pgRestore: Landing = { command: '/pg_restore --dbname=', what: 'pg_restore' };
/** The rehearsal's online dump of production (into its private work folder, not backup.dir). */
const rehearsalDump: Landing = {
  command: '/pg_dump --format=directory --file=\\S*/rehearsal-',
  what: "the rehearsal's pg_dump",
};
/** The app's own CLI started directly (…/node_modules/prisma/build/index.js), or through npx. */
const firstGit: Landing = { command: '^git ', what: 'git' };
const blockedMigration: Landing = {
  blockedOn: 'public.users',
  what: "the migration's ALTER TABLE users, waiting for a lock",
};

/**
 * Faults that land while the step's work runs, in place with dumps (a production in release
 * directories differs in none of what they hit):
 *  - pg-outage: the station's PostgreSQL stopped (fast shutdown: sessions are ended; a smart one
 *    would wait for the app's pool forever), kept down 60 s, started again. Every step waits for
 *    PostgreSQL before it touches it, and a failure while it was away is retried: the deployment
 *    ends as if nothing happened — except a migration cut in the middle, which is never run again:
 *    rolled back, the rollback waiting for PostgreSQL to restore the backup.
 *  - pg-restart-immediate: `pg_ctl restart -m immediate` (a crash; recovery from the WAL), same ends.
 *  - kill-worker-mid: the worker process alone SIGKILLed while a command of the step runs; no
 *    command may outlive it; a new worker retries the step: the same ends.
 * Left out (each case costs one to two minutes): kinds on steps whose work never touches what
 * the fault breaks — npm ci, git and the maintenance switch need no PostgreSQL (an outage begun
 * there is met by the next step that does: stage-release's case shows stop-writes waiting for
 * it), and a rollback's reinstall is the same npm ci as the forward one; repeats of a landing
 * already covered — resume-writes runs the same appctl as stop-writes and restart (its worker
 * killed alone is kept: that lands inside the write point's transaction), verify-rollback
 * the same checks as verify (its pg-outage case kept: the rollback's own verification waiting);
 * a crash where the step holds no write in flight (stop-writes, verify: a crash there is an outage
 * of a second, which the pg-outage cases cover); and activate-release killed mid-work: its
 * checkout lasts a few milliseconds here, so the kill lands on a rev-parse beside it —
 * test/activities/checkoutCutShort.test.ts makes the half-way working copy such a kill leaves.
 * In release directories with snapshots, the steps these kinds hit work as in place (the snapshot
 * copy and rename are single statements: nothing runs long enough to land in) — but for the
 * snapshot's off-server pg_dump, after writes resumed (`setup`), which must be waited out or done
 * again without a rollback. The online rehearsal (`rehearsal`) gets an outage in its pg_dump of
 * production: waited out before writes pause. And resume-writes gets its worker killed while it
 * reads the write point and runs the resume command inside it (appctl maintenance-off): the retry
 * reads a new point, and the deployment ends as if nothing happened.
 */
export const MID_WORK_CASES: {
  step: string;
  activity: string;
  input?: Record<string, string>;
  ref: FaultCase['ref'];
  /** Default `in-place+dump`. */
  setup?: Setup;
  rehearsal?: boolean;
  landing: Landing;
  kinds: Partial<Record<FaultKind, { expect: Expectation; landing?: Landing }>>;
}[] = [
  {
    step: 'stop-writes',
    activity: 'stopWrites',
    input: { step: 'stop-writes' },
    ref: 'v2',
    landing: appctl('maintenance-on'),
    kinds: { 'pg-outage': { expect: deployed } },
  },
  {
    step: 'backup',
    activity: 'backupDatabase',
    ref: 'v2',
    landing: pgDump,
    kinds: {
      'pg-outage': { expect: deployed },
      'pg-restart-immediate': { expect: deployed },
      'kill-worker-mid': { expect: deployed },
    },
  },
  {
    step: 'stage-release',
    activity: 'stageRelease',
    input: { commit: 'tag:v2' },
    ref: 'v2',
    landing: npmCi,
    kinds: { 'pg-outage': { expect: deployed }, 'kill-worker-mid': { expect: deployed } },
  },
  {
    step: 'migrate',
    activity: 'migrateDatabase',
    ref: 'v2',
    landing: blockedMigration,
    kinds: {
      'pg-outage': { expect: migrationCut },
      'pg-restart-immediate': { expect: migrationCut },
      'kill-worker-mid': { expect: migrationCut },
    },
  },
  {
    step: 'restart',
    activity: 'restartApplication',
    input: { step: 'restart' },
    ref: 'v2',
    landing: appctl('restart'),
    kinds: {
      'pg-outage': { expect: deployed },
      'pg-restart-immediate': { expect: deployed },
      'kill-worker-mid': { expect: deployed },
    },
  },
  // verify starts no long command since it reads the migrations itself (no prisma migrate status): both land on its first git.
  {
    step: 'verify',
    activity: 'verifyDeployment',
    input: { step: 'verify' },
    ref: 'v2',
    landing: firstGit,
    kinds: { 'pg-outage': { expect: deployed }, 'kill-worker-mid': { expect: deployed } },
  },
  {
    step: 'restore-database',
    activity: 'restoreDatabase',
    ref: 'v2-broken-migration',
    landing: pgRestore,
    kinds: {
      'pg-outage': { expect: brokenMigrationEnd() },
      'pg-restart-immediate': { expect: brokenMigrationEnd() },
      'kill-worker-mid': { expect: brokenMigrationEnd() },
    },
  },
  {
    step: 'verify-rollback',
    activity: 'verifyDeployment',
    input: { step: 'verify-rollback' },
    ref: 'v2-broken-migration',
    landing: firstGit,
    kinds: { 'pg-outage': { expect: brokenMigrationEnd() } },
  },
  {
    step: 'resume-writes',
    activity: 'resumeWrites',
    input: { step: 'resume-writes' },
    ref: 'v2',
    landing: appctl('maintenance-off'),
    kinds: { 'kill-worker-mid': { expect: deployed } },
  },
  {
    step: 'rehearse',
    activity: 'rehearseMigration',
    ref: 'v2',
    rehearsal: true,
    landing: rehearsalDump,
    kinds: { 'pg-outage': { expect: rehearsedDeployed } },
  },
  {
    step: 'dump-backup',
    activity: 'dumpBackup',
    ref: 'v2',
    setup: 'releases+snapshot',
    landing: pgDump,
    kinds: { 'pg-outage': { expect: deployed }, 'kill-worker-mid': { expect: deployed } },
  },
];

function brokenMigrationEnd(): Expectation {
  return { outcome: 'rolled-back', errorType: 'MigrationFailed', errorStep: 'migrate', databaseRestored: true };
}

export function faultMatrix(): FaultCase[] {
  const cases: FaultCase[] = [];
  for (const s of FORWARD_STEPS) {
    for (const kind of ['error', 'kill-worker', 'restart-server'] as const) {
      cases.push({
        step: s.step,
        setup: 'in-place+dump',
        kind,
        ref: 'v2',
        activity: s.activity,
        input: s.input ?? {},
        killAfterMs: s.killAfterMs,
        ...(kind === 'error' && s.onErrorAnswer ? { answer: s.onErrorAnswer } : {}),
        expect: onSetup(kind === 'error' ? s.onError! : { outcome: 'deployed' }, 'in-place+dump'),
      });
    }
  }
  // An injected error in a compensation stops the rollback on purpose (rollback-failed): it is not
  // a fault the rollback should survive, so rollback steps get the two kinds it must survive.
  for (const s of ROLLBACK_STEPS) {
    for (const kind of ['kill-worker', 'restart-server'] as const) {
      cases.push({
        step: s.step,
        setup: 'in-place+dump',
        kind,
        ref: 'v2-broken-migration',
        activity: s.activity,
        input: s.input ?? {},
        killAfterMs: s.killAfterMs,
        expect: onSetup(brokenMigration, 'in-place+dump'),
      });
    }
  }
  for (const s of RELEASES_SNAPSHOT_CASES) {
    const expect =
      s.ref === 'v2-broken-migration'
        ? brokenMigration
        : s.kind === 'error'
          ? s.onError!
          : { outcome: 'deployed' as const };
    cases.push({
      step: s.step,
      setup: 'releases+snapshot',
      kind: s.kind,
      ref: s.ref,
      activity: s.activity,
      input: s.input ?? {},
      killAfterMs: s.killAfterMs,
      expect: onSetup(expect, 'releases+snapshot'),
    });
  }
  for (const s of REHEARSAL_CASES) {
    const expect = s.kind === 'error' ? s.onError! : { outcome: 'deployed' as const, rehearsed: true };
    cases.push({
      step: s.step,
      setup: 'in-place+dump',
      kind: s.kind,
      ref: 'v2',
      rehearsal: true,
      activity: s.activity,
      input: s.input ?? {},
      killAfterMs: s.killAfterMs,
      expect: onSetup(expect, 'in-place+dump'),
    });
  }
  for (const s of MID_WORK_CASES) {
    const setup = s.setup ?? 'in-place+dump';
    for (const [kind, k] of Object.entries(s.kinds) as [FaultKind, { expect: Expectation; landing?: Landing }][]) {
      cases.push({
        step: s.step,
        setup,
        kind,
        ref: s.ref,
        ...(s.rehearsal ? { rehearsal: true } : {}),
        activity: s.activity,
        input: s.input ?? {},
        landing: k.landing ?? s.landing,
        expect: onSetup(k.expect, setup),
      });
    }
  }
  return cases;
}

/** `migrate/error`; `migrate/error@releases+snapshot` off the first setup. */
export const caseName = (c: { step: string; kind: string; setup?: string }) =>
  `${c.step}/${c.kind}${c.setup && c.setup !== SETUPS[0] ? `@${c.setup}` : ''}`;
