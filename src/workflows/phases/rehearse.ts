import { patched } from '@temporalio/workflow';
import { planRollback } from '../../plan/rollbackPlan.js';
import { changing } from '../activities.js';
import type { Runbook } from '../deployment.js';
import type { Backup } from './backup.js';
import type { Staging } from './stage.js';

/** What the rehearsal found that the rollback plan reads (nothing when it did not run). */
export interface Rehearsed {
  previousReleaseCompatible?: boolean;
  existingDataChanges?: { table: string; what: string }[];
}

/** The rehearsal: the target's migrations on a copy of the database (`source`: a dump or snapshot, or online). */
async function rehearseOn(
  runbook: Runbook,
  staging: Staging,
  source: { backupPath?: string; templateDatabase?: string },
): Promise<Rehearsed> {
  const { deploymentId, target, release, gate, fixes, first, run, step } = runbook;
  // Measuring what the migration does to existing data costs two full reads of the copy: only
  // when a code-only rollback could be chosen at all.
  const codeOnlyPossible =
    target.rehearsal.preferCodeOnly &&
    gate.additiveOnly &&
    target.rehearsal.startPrevious !== undefined &&
    !fixes.resetting;
  const previous = { ...release.current, dir: release.current.dir ?? target.appDir };
  const rehearsal = await step(
    first,
    'rehearse',
    {
      step: `Rehearse ${release.target.name}'s migrations on a copy of the database`,
      activity: `Rehearse ${release.target.name}'s migrations on a copy`,
    },
    changing.rehearseMigration,
    {
      deploymentId,
      target,
      ...source,
      stagedDir: staging.dirs.get(first)!,
      release: release.target,
      previous,
      baseline: [],
      measureExistingData: codeOnlyPossible,
    },
    (rehearsed) => {
      const timings = rehearsed.migrations.map((m) => `${m.name} ${m.durationMs} ms`).join(', ');
      const compatible = rehearsed.previousReleaseCompatible;
      const runs = compatible ? 'runs' : 'does not run';
      return `${timings}${compatible === undefined ? '' : `; ${release.current.name} ${runs} on it`}`;
    },
  );
  run.report.rehearsal = {
    migrations: rehearsal.migrations,
    checks: rehearsal.checks.map(({ name, kind, ok, detail }) => ({ name, kind, ok, detail })),
    previousReleaseCompatible: rehearsal.previousReleaseCompatible,
    compatibility: rehearsal.compatibility,
    ...(rehearsal.existingDataChanges ? { existingDataChanges: rehearsal.existingDataChanges } : {}),
    ...(rehearsal.copied ? { copied: rehearsal.copied } : {}),
    durationMs: rehearsal.durationMs,
  };
  return rehearsal;
}

/**
 * The rollback plan from what the rehearsal found (pure, no command). `existingDataChanges`
 * undefined: not measured, which never allows code-only.
 */
export function planTheRollback(
  runbook: Runbook,
  rehearsed: Rehearsed,
  existingDataChanges: Rehearsed['existingDataChanges'],
) {
  return planRollback({
    preferCodeOnly: runbook.target.rehearsal.preferCodeOnly,
    additiveOnly: runbook.gate.additiveOnly,
    previousReleaseCompatible: rehearsed.previousReleaseCompatible,
    existingDataChanges,
    reset: runbook.fixes.resetting,
  });
}

/** A dry run rehearses online, removes its staged copy, and reports the rollback plan a real run would make. */
export async function dryRun(runbook: Runbook, staging: Staging, rehearse: boolean): Promise<'dry-run'> {
  let tried: Rehearsed = {};
  try {
    if (rehearse) tried = await rehearseOn(runbook, staging, {});
  } finally {
    await staging.unstage();
  }
  runbook.run.report.rollbackPlan = planTheRollback(runbook, tried, tried.existingDataChanges ?? []);
  return 'dry-run';
}

/**
 * The rehearsal before writes pause, on a consistent pg_dump of production taken online (a
 * dry run's way; a snapshot-method template copy would close production): a failing migration
 * aborts with nothing paused. Histories recorded before rehearsed in the pause, on the backup:
 * `undefined` tells the runbook to rehearse there ({@link rehearseInPause}).
 */
export async function rehearseBeforePause(
  runbook: Runbook,
  staging: Staging,
  rehearse: boolean,
): Promise<Rehearsed | undefined> {
  if (!patched('rehearse-before-pause')) return undefined;
  let rehearsed: Rehearsed = {};
  try {
    if (rehearse) rehearsed = await rehearseOn(runbook, staging, {});
  } finally {
    if (!staging.reuse) await staging.unstage();
  }
  return rehearsed;
}

/** The rehearsal of histories recorded before it moved out of the pause: on the proven backup. */
export async function rehearseInPause(
  runbook: Runbook,
  staging: Staging,
  backup: Backup,
  rehearse: boolean,
): Promise<Rehearsed> {
  let rehearsed: Rehearsed = {};
  try {
    const proven = await backup.proven();
    if (rehearse)
      rehearsed = await rehearseOn(runbook, staging, {
        backupPath: proven.dump?.path,
        templateDatabase: proven.dump ? undefined : proven.snapshot?.database,
      });
  } finally {
    await staging.unstage();
  }
  return rehearsed;
}
