import { CancellationScope, patched, workflowInfo } from '@temporalio/workflow';
import { durationMs } from '../shared/duration.js';
import type { DeployRequest } from '../config/schema.js';
import type { WriteCounters, WritePoint } from '../plan/lostWrites.js';
import type { BackupFacts } from '../activities/database.js';
import { restoreSummary } from '../plan/backupReport.js';
import { requiredPackages } from '../plan/preflight.js';
import { describeApprovals } from '../plan/riskGate.js';
import { planRollback, restoreAnyway } from '../plan/rollbackPlan.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import type { DeploymentReport, Outcome } from '../shared/report.js';
import type { NotifyEvent } from '../shared/notify.js';
import { call, changing, quick, undoing } from './activities.js';
import { takeBackup } from './backup.js';
import type { Compensations } from './compensations.js';
import { checksOf } from './failures.js';
import type { Gates } from './gates.js';
import { eachHost, onHost, type Host } from './hosts.js';
import { lostWritesUndo, othersMayHaveWritten, ownWritesOf, type Writes } from './lostWrites.js';
import { MigrationFixes } from './migrationFixes.js';
import { runPreChecks } from './preChecks.js';
import type { RunState } from './runState.js';
import { Skipped } from './skipped.js';
import { monitorRelease } from './waiting.js';

/** `moved in from the staged copy (53 packages)`, `53 packages (already installed)`, or the reason the fast way was not taken. */
const installSummary = (r: { packages: number; skipped: boolean; source?: 'staged' | 'kept'; note?: string }) =>
  r.source === 'staged'
    ? `moved in from the staged copy, not installed again (${r.packages} packages)`
    : r.source === 'kept'
      ? `moved back from the kept copy, not installed again (${r.packages} packages)`
      : `${r.packages} packages${r.skipped ? ' (already installed)' : ''}${r.note ? `; ${r.note}` : ''}`;

export interface Deployment {
  deploymentId: string;
  request: DeployRequest;
  /** Every host the app runs on; the first one also runs the database steps. */
  hosts: Host[];
  run: RunState;
  gates: Gates;
  undo: Compensations;
  notify: (event: NotifyEvent, summary: string, outcome?: string) => Promise<void>;
  /** The rollback's part of the report, filled by the undos as they run. */
  rollback: NonNullable<DeploymentReport['rollback']>;
  /** What a person needs to finish a failed rollback by hand. */
  facts: { previousCommit?: string; backupPath?: string; snapshotDatabase?: string; keptAs?: string };
  /** Clean-ups the runbook leaves to however the deployment ends (staged copies); each idempotent, run once. */
  leftovers: (() => Promise<void>)[];
}

/**
 * The runbook's forward steps, each change's undo registered beside it: pre-checks → approval →
 * stage (checkout, npm ci, build) → rehearse on an online copy → writes paused → backup → code and
 * dependencies on every host (in place: the staged install moved in) → migrate → restart and
 * verify every host → writes resumed → monitoring.
 */
export async function runbook(d: Deployment): Promise<Outcome> {
  const { deploymentId, request, hosts, run, gates, undo, rollback } = d;
  const first = hosts[0]!;
  const t = first.target;
  const what = `${t.app} ${t.environment}`;
  const releases = t.codeLayout === 'releases';
  /** The undos' activities: retried through outages for rollback.retryFor (absent from configs loaded before it existed). */
  const undoProxy = undoing(durationMs(t.rollback?.retryFor ?? '10 minutes'));

  const { release, history, gate } = await runPreChecks(run, { deploymentId, request, hosts });
  d.facts.previousCommit = release.current.commit;
  const fixes = new MigrationFixes(d, { gate, release });
  await fixes.askResolution(); // a failed migration the triage can resolve: its own gate
  const pending = history.pendingForTarget.length > 0;
  let approvedBy: string | undefined;
  if (gate.approvals.length > 0) {
    if (request.dryRun) {
      run.report.decisions.push({
        gate: 'migration-risk',
        asked: describeApprovals(gate.approvals),
        decision: 'timed-out',
        reason: 'a dry run does not wait: a real deployment would ask this',
        at: new Date().toISOString(),
      });
    } else {
      approvedBy = fixes.approved(
        await run.step(
          'approval',
          'Wait for a person to approve the migration risks',
          async () => {
            const answer = await gates.ask(
              'migration-risk',
              describeApprovals(gate.approvals),
              durationMs(t.approval.timeout),
              gate.offered,
            );
            if (answer.decision === 'rejected')
              throw deployFailure(FailureType.ApprovalRejected, {
                step: 'approval',
                what: `${answer.by} rejected the deployment: ${answer.reason}`,
                remedy: 'nothing was changed',
                retryable: false,
              });
            if (answer.decision === 'timed-out')
              throw deployFailure(FailureType.ApprovalTimedOut, {
                step: 'approval',
                what: `nobody approved within ${t.approval.timeout}`,
                remedy: 'nothing was changed; start again when someone can approve',
                retryable: false,
              });
            return answer;
          },
          (a) => `approved by ${a.by}: ${a.reason}${a.action ? ` (${a.action})` : ''}`,
        ),
      );
    }
  }

  // The target release in a directory of its own, with its own node_modules (no production
  // change): the release directory itself on every host, or, in place, a scratch copy on every
  // host, whose install and build install-dependencies moves into the working copy: no npm ci
  // while writes are paused. Histories recorded before staged in place only on the first host,
  // and only to rehearse, then installed again in the pause.
  const reuse = !request.dryRun && !releases && patched('stage-in-place-before-pause');
  const rehearse = pending && t.rehearsal.enabled && !fixes.resetting;
  const startedAt = new Date(workflowInfo().startTime).toISOString();
  const staged = new Map<Host, string>();
  await eachHost(releases || reuse ? hosts : rehearse || fixes.needsStaging ? [first] : [], t.rollout, async (h) => {
    const on = onHost(hosts, h);
    const r = await run.step(
      'stage-release',
      `Stage ${release.target.name} in its own directory (checkout, npm ci)${on}`,
      () =>
        call(h, changing.stageRelease, `Stage ${release.target.name}${on}`, {
          target: h.target,
          deploymentId,
          commit: release.target.commit,
          startedAt,
          requiredPackages: requiredPackages(h.target, release.target.manifest),
        }),
      (x) => `${x.dir} (${x.install.packages} packages)`,
    );
    staged.set(h, r.dir);
  });
  /** Removes the in-place staged copies (once; a second call finds nothing to do). */
  const unstaged = new Set<Host>();
  const unstage = async () => {
    if (releases) return;
    for (const h of hosts.filter((x) => staged.has(x) && !unstaged.has(x))) {
      unstaged.add(h);
      const summary = `Remove the staged copy${reuse ? onHost(hosts, h) : ''}`;
      await run.step(
        'remove-staging',
        summary,
        () =>
          CancellationScope.nonCancellable(() =>
            call(h, changing.removeStagedRelease, summary, { target: h.target, dir: staged.get(h)! }),
          ),
        (r) => (r.removed ? 'removed' : 'already gone'),
      );
    }
  };
  if (reuse) d.leftovers.push(unstage);
  // Measuring what the migration does to existing data costs two full reads of the copy: only
  // when a code-only rollback could be chosen at all.
  const codeOnlyPossible =
    t.rehearsal.preferCodeOnly && gate.additiveOnly && t.rehearsal.startPrevious !== undefined && !fixes.resetting;
  const rehearseOn = async (source: { backupPath?: string; templateDatabase?: string }) => {
    const previous = { ...release.current, dir: release.current.dir ?? t.appDir };
    const r = await run.step(
      'rehearse',
      `Rehearse ${release.target.name}'s migrations on a copy of the database`,
      () =>
        call(first, changing.rehearseMigration, `Rehearse ${release.target.name}'s migrations on a copy`, {
          deploymentId,
          target: t,
          ...source,
          stagedDir: staged.get(first)!,
          release: release.target,
          previous,
          baseline: [],
          measureExistingData: codeOnlyPossible,
        }),
      (x) =>
        `${x.migrations.map((m) => `${m.name} ${m.durationMs} ms`).join(', ')}${x.previousReleaseCompatible === undefined ? '' : `; ${release.current.name} ${x.previousReleaseCompatible ? 'runs' : 'does not run'} on it`}`,
    );
    run.report.rehearsal = {
      migrations: r.migrations,
      checks: r.checks.map(({ name, kind, ok, detail }) => ({ name, kind, ok, detail })),
      previousReleaseCompatible: r.previousReleaseCompatible,
      compatibility: r.compatibility,
      ...(r.existingDataChanges ? { existingDataChanges: r.existingDataChanges } : {}),
      ...(r.copied ? { copied: r.copied } : {}),
      durationMs: r.durationMs,
    };
    return r;
  };
  await fixes.resolve(staged.get(first), unstage);
  if (request.dryRun) {
    let tried: { previousReleaseCompatible?: boolean; existingDataChanges?: { table: string; what: string }[] } = {};
    try {
      if (rehearse) tried = await rehearseOn({});
    } finally {
      await unstage();
    }
    // The plan a real run would make from this rehearsal (pure, no command): the dry run's report shows it.
    run.report.rollbackPlan = planRollback({
      preferCodeOnly: t.rehearsal.preferCodeOnly,
      additiveOnly: gate.additiveOnly,
      previousReleaseCompatible: tried.previousReleaseCompatible,
      existingDataChanges: tried.existingDataChanges ?? [],
      reset: fixes.resetting,
    });
    return 'dry-run';
  }
  // The rehearsal before writes pause, on a consistent pg_dump of production taken online (a
  // dry run's way; a snapshot-method template copy would close production): a failing migration
  // aborts with nothing paused. Histories recorded before rehearsed in the pause, on the backup.
  const rehearseFirst = patched('rehearse-before-pause');
  let rehearsed: { previousReleaseCompatible?: boolean; existingDataChanges?: { table: string; what: string }[] } = {};
  if (rehearseFirst) {
    try {
      if (rehearse) rehearsed = await rehearseOn({});
    } finally {
      if (!reuse) await unstage();
    }
  }

  await d.notify(
    'started',
    `${release.current.name} → ${release.target.name}${request.reason ? ` (${request.reason})` : ''}${request.requestedBy ? `, by ${request.requestedBy}` : ''}`,
  );
  // Writes pause before the backup, so that a restore can lose nothing (policy `stop`).
  const policy = t.writes.policy;
  for (const h of hosts) {
    const on = onHost(hosts, h);
    undo.add(
      'resume-writes-after-rollback',
      `Resume ${what}'s writes${on}`,
      () =>
        call(h, undoProxy.resumeWrites, `Resume ${what}'s writes${on}`, {
          target: h.target,
          step: 'resume-writes-after-rollback',
        }).then(() => 'writes resumed'),
      { changes: false },
    );
  }
  // Write points (exact, no statistics' sleep); deployments started before them keep the odometer.
  const exact = patched('exact-write-points');
  let paused: { stopped: boolean; at?: string; counters?: WriteCounters; point?: WritePoint } | undefined;
  for (const h of hosts) {
    const on = onHost(hosts, h);
    const r = await run.step(
      'stop-writes',
      policy === 'stop'
        ? `Pause ${what}'s writes (maintenance)${on}`
        : `Read ${exact ? 'a write point' : 'the write counters'} (policy detect: ${what} keeps serving)`,
      () =>
        call(h, changing.stopWrites, `Pause ${what}'s writes${on}`, {
          target: h.target,
          step: 'stop-writes',
          ...(exact ? { exact } : {}),
        }),
      (x) => (x.stopped ? 'writes paused' : x.point ? `write point read in ${x.point.readMs} ms` : 'counters read'),
    );
    paused ??= r;
    if (policy === 'detect') break; // nothing to pause: one reading of the shared database is enough
  }
  run.report.writes = { policy, ...(paused!.stopped ? { stoppedAt: paused!.at ?? paused!.counters!.at } : {}) };
  const writes: Writes = exact
    ? {
        own: [],
        points: { others: {}, ...(policy === 'detect' ? { last: paused!.point, from: paused!.point!.at } : {}) },
      }
    : { since: policy === 'detect' ? paused!.counters : undefined, own: [] };
  /** Runs one of safe-deploy's own writing steps; under `detect`, its writes are counted as ours. */
  const ownWrites = ownWritesOf({ policy, host: first, target: t, writes, proxy: changing });

  // Method snapshot: only the copy holds the pause; its fingerprint runs beside the code steps and
  // its pg_dump after writes resume. Histories recorded before took the whole backup in the pause.
  const split = rehearseFirst && t.backup?.method === 'snapshot' && patched('backup-proven-beside-release');
  const backup = await takeBackup(d, first, split);
  const baselineOf = (b: BackupFacts) => b.state.tables.map(({ name, rows }) => ({ name, rows }));
  // Rows an approved migration removes (a table dropped, emptied, deleted from) are not lost data:
  // the verification of the release does not expect them, and the report says what was approved.
  const approvedLoss = approvedBy
    ? [
        ...new Set(
          (run.report.lint ?? []).flatMap((m) => m.findings).flatMap((f) => (f.removesRowsOf ? [f.removesRowsOf] : [])),
        ),
      ]
    : [];
  const releaseBaselineOf = (b: BackupFacts) => {
    const baseline = baselineOf(b);
    if (approvedLoss.length > 0)
      run.report.approvedDataLoss = approvedLoss.map((table) => ({
        table,
        rowsAtBackup: baseline.find((x) => x.name === table)?.rows,
        approvedBy: approvedBy!,
      }));
    return fixes.baseline(baseline).filter((x) => !approvedLoss.includes(x.name));
  };
  if (!split) releaseBaselineOf(await backup.proven()); // the report's order as before
  if (!rehearseFirst) {
    try {
      const b = await backup.proven();
      if (rehearse)
        rehearsed = await rehearseOn({
          backupPath: b.dump?.path,
          templateDatabase: b.dump ? undefined : b.snapshot?.database,
        });
    } finally {
      await unstage();
    }
  }
  // Deployments that planned before the measurement existed keep their plan (their histories replay).
  const measured = patched('measured-rollback-plan') ? rehearsed.existingDataChanges : [];
  const plan = planRollback({
    preferCodeOnly: t.rehearsal.preferCodeOnly,
    additiveOnly: gate.additiveOnly,
    previousReleaseCompatible: rehearsed.previousReleaseCompatible,
    existingDataChanges: measured,
    reset: fixes.resetting,
  });
  run.report.rollbackPlan = plan;

  // A code-only rollback keeps the database: proven by every row of the backup still being the very
  // row version the backup holds (a restore is proven by the restore itself, by content).
  const keptDataProof = (b: BackupFacts) =>
    rollback.strategy === 'code-only' && b.state.xidBoundary
      ? {
          unchangedSince: {
            boundary: b.state.xidBoundary,
            tables: baselineOf(b),
            othersMayHaveWritten: othersMayHaveWritten(writes),
          },
        }
      : {};
  // Registered first so they run last: every host ends on its previous release, restarted and verified.
  for (const h of [...hosts].reverse()) {
    const on = onHost(hosts, h);
    const prev = h.release!.current;
    undo.add('verify-rollback', `Verify ${prev.name} is live and whole again${on}`, async () => {
      const b = await backup.provenForUndo(undoProxy, 'verify-rollback');
      const r = await call(h, undoProxy.verifyDeployment, `Verify ${prev.name} is live and whole again${on}`, {
        target: h.target,
        release: prev,
        baseline: baselineOf(b),
        runId: `${deploymentId}-rollback${hosts.length > 1 ? `-${h.name}` : ''}`,
        step: 'verify-rollback',
        migrationsMustBeClean: rollback.strategy !== 'code-only',
        ...keptDataProof(b),
      }).catch((err) => {
        run.addChecks(rollback.checks, checksOf(err));
        throw err;
      });
      run.addChecks(rollback.checks, r.checks);
      return `${r.checks.length} checks passed`;
    });
    undo.add('restart-previous', `Restart ${what} on ${prev.name}${on}`, () =>
      call(h, undoProxy.restartApplication, `Restart ${what} on ${prev.name}${on}`, {
        target: h.target,
        step: 'restart-previous',
      }).then((r) => `healthy after ${r.healthyAfterMs} ms`),
    );
  }
  await eachHost(hosts, t.rollout, async (h) => {
    const on = onHost(hosts, h);
    const prev = h.release!.current;
    const prevDir = prev.dir ?? h.target.appDir;
    // Code goes back before its dependencies: npm ci must read the previous lockfile.
    undo.add('reinstall-dependencies', `Reinstall ${prev.name}'s dependencies${on}`, async () =>
      releases
        ? new Skipped(`${prev.name}'s release directory kept its own node_modules`)
        : call(h, undoProxy.installDependencies, `Reinstall ${prev.name}'s dependencies${on}`, {
            target: h.target,
            commit: prev.commit,
            requiredPackages: requiredPackages(h.target, prev.manifest),
            step: 'reinstall-dependencies',
            ...(reuse ? { restoreKept: { deploymentId } } : {}),
          }).then(installSummary),
    );
    undo.add(
      'reactivate-release',
      `${releases ? `Point current back at ${prev.name}` : `Check out ${prev.name} again`}${on}`,
      () =>
        call(h, undoProxy.activateRelease, `Put ${prev.name} back${on}`, {
          target: h.target,
          commit: prev.commit,
          dir: prevDir,
          undoing: release.target.commit,
        }).then((r) => (releases ? `current → ${prevDir}` : `at ${r.commit.slice(0, 12)}`)),
    );
    await run.step(
      'activate-release',
      `${releases ? `Point current at ${release.target.name}` : `Check out ${release.target.name}`}${on}`,
      () =>
        call(h, changing.activateRelease, `Activate ${release.target.name}${on}`, {
          target: h.target,
          commit: release.target.commit,
          dir: staged.get(h),
        }),
      () =>
        releases ? `current → ${staged.get(h)}` : `${prev.commit.slice(0, 12)} → ${release.target.commit.slice(0, 12)}`,
    );
    const installing = reuse
      ? `Move ${release.target.name}'s staged dependencies and build in${on}`
      : `Install ${release.target.name}'s dependencies (npm ci)${on}`;
    await run.step(
      'install-dependencies',
      installing,
      async () =>
        releases
          ? new Skipped('installed in the release directory while staging')
          : call(h, changing.installDependencies, installing, {
              target: h.target,
              commit: release.target.commit,
              requiredPackages: requiredPackages(h.target, release.target.manifest),
              step: 'install-dependencies',
              ...(reuse ? { fromStaged: { dir: staged.get(h)!, deploymentId } } : {}),
            }),
      installSummary,
    );
  });

  // The database changes only once its backup is proven (fingerprinted and sealed).
  const releaseBaseline = releaseBaselineOf(await backup.proven());
  // Before migrating: a migration can fail half-way, and then the backup must come back —
  // unless the plan keeps the database, or people wrote since and would lose it.
  let migrateSucceeded = false;
  const keepByPlan = () =>
    plan.strategy === 'code-only' &&
    !restoreAnyway(plan, {
      migrateSucceeded,
      dataCheckFailed: run.report.checks.some((c) => c.kind === 'data' && !c.ok),
    });
  const lost = lostWritesUndo({
    run,
    gates,
    target: t,
    host: first,
    proxy: undoProxy,
    writes,
    what,
    rollback,
    approvalTimeoutMs: durationMs(t.approval.timeout),
    restoring: () => !keepByPlan(),
  });
  undo.add('restore-database', `Restore the ${what} database from the backup`, async () => {
    if (keepByPlan() || lost.keepDatabase()) {
      rollback.strategy = 'code-only';
      return new Skipped(`kept the database: ${keepByPlan() ? plan.why : lost.why()}`);
    }
    const r = await call(first, undoProxy.restoreDatabase, `Restore the ${what} database from the backup`, {
      deploymentId,
      target: t,
      backup: await backup.provenForUndo(undoProxy, 'restore-database'),
    });
    rollback.strategy = 'restore-database';
    rollback.databaseRestored = r.restored;
    rollback.restoredFrom = r.source;
    rollback.failedDatabaseKeptAs = d.facts.keptAs = r.keptAs;
    return restoreSummary(r);
  });
  undo.add('approve-lost-writes', 'Ask before throwing away writes made since the backup', () => lost.ask());
  undo.add('check-lost-writes', 'Count writes made since the backup by others', () => lost.count());

  const migration = fixes.migration(history.pendingForTarget); // prisma migrate deploy, or an approved reset
  const migrated = await run.step('migrate', migration.summary, () => ownWrites(migration.run), migration.describe);
  migrateSucceeded = true;
  run.report.migrations!.applied = migrated.applied;
  await eachHost(hosts, t.rollout, async (h) => {
    const on = onHost(hosts, h);
    await run.step(
      'restart',
      `Restart ${what} on ${release.target.name}${on}`,
      () =>
        call(h, changing.restartApplication, `Restart ${what} on ${release.target.name}${on}`, {
          target: h.target,
          step: 'restart',
        }),
      (r) => `healthy after ${r.healthyAfterMs} ms`,
    );
    const verified = await run.step(
      'verify',
      `Verify ${release.target.name}: health, checks, schema, data${on}`,
      () =>
        ownWrites(() =>
          call(h, changing.verifyDeployment, `Verify ${release.target.name}: health, checks, schema, data${on}`, {
            target: h.target,
            release: release.target,
            baseline: releaseBaseline,
            runId: `${deploymentId}-verify${hosts.length > 1 ? `-${h.name}` : ''}`,
            step: 'verify',
          }),
        ).catch((err) => {
          run.addChecks(run.report.checks, checksOf(err));
          throw err;
        }),
      (r) => `${r.checks.length} checks passed`,
    );
    run.addChecks(
      run.report.checks,
      verified.checks.map((c) => (hosts.length > 1 ? { ...c, name: `${h.name}: ${c.name}` } : c)),
    );
  });

  if (policy === 'stop') {
    // From here people write again: a rollback first pauses them, then counts what it would lose.
    for (const h of hosts) {
      const on = onHost(hosts, h);
      undo.add(
        'stop-writes-again',
        `Pause ${what}'s writes again${on}`,
        () =>
          call(h, undoProxy.stopWrites, `Pause ${what}'s writes again${on}`, {
            target: h.target,
            step: 'stop-writes-again',
            ...(exact ? { exact } : {}),
          }).then(() => 'writes paused'),
        { changes: false },
      );
    }
    for (const h of hosts) {
      const on = onHost(hosts, h);
      await run.step(
        'resume-writes',
        `Resume ${what}'s writes${on}`,
        async () => {
          const p = writes.points;
          if (p && !p.last && h === first) {
            // The first host's resume takes the write point: its snapshot while every host still
            // pauses, then the resume command, then the counts in that snapshot (no sleep).
            p.resuming = true;
            const r = await call(
              h,
              changing.resumeWrites,
              `Resume ${what}'s writes, reading the write point first${on}`,
              { target: h.target, step: 'resume-writes', readPoint: true },
            );
            if (!r.point)
              p.uncertain ??=
                'the worker that resumed writes read no write point (a safe-deploy worker older than write points?)';
            else {
              p.last = r.point;
              p.from = r.point.at;
              p.uncertain ??= r.point.uncertain;
              run.report.writes!.resumedAt ??= r.point.at;
            }
            return r;
          }
          if (p)
            return call(h, changing.resumeWrites, `Resume ${what}'s writes${on}`, {
              target: h.target,
              step: 'resume-writes',
            });
          // Read while every host still pauses, before any door opens (even if opening fails
          // half-way or is retried): writes after this reading are other people's.
          writes.since ??= await call(first, changing.countWrites, 'Read the write counters while writes are paused', {
            target: t,
            step: 'resume-writes',
          });
          run.report.writes!.resumedAt ??= writes.since.at;
          return call(h, changing.resumeWrites, `Resume ${what}'s writes${on}`, {
            target: h.target,
            step: 'resume-writes',
          });
        },
        () => 'writes resumed',
      );
    }
  }
  await backup.finish(); // the snapshot's off-server dump: the deployment ends only once it is verified
  await unstage(); // in place: the staged copies, their node_modules and build moved in, are no longer needed
  await monitorRelease(hosts, request.monitorMinutes ?? t.monitor.minutes, durationMs(t.monitor.interval), run);
  if (reuse) {
    for (const h of hosts) {
      const summary = `Remove ${h.release!.current.name}'s dependencies kept for a rollback${onHost(hosts, h)}`;
      await run.step(
        'prune',
        summary,
        () => call(h, changing.removeKeptDependencies, summary, { target: h.target, deploymentId }),
        (r) => (r.removed ? 'removed' : 'none kept'),
      );
    }
  }
  if (releases) {
    for (const h of hosts) {
      await run.step(
        'prune',
        `Remove old release directories${onHost(hosts, h)}`,
        () =>
          call(h, quick.pruneReleases, 'Remove old release directories', {
            target: h.target,
            protect: [h.release!.current.dir ?? ''],
          }),
        (r) => `removed ${r.removed.length}`,
      );
    }
  }
  return 'deployed';
}
