import { durationMs } from '../shared/duration.js';
import type { DriftReport } from '../activities/drift.js';
import type { MigrationHistory } from '../activities/migrationHistory.js';
import type { ResolvedRelease } from '../activities/release.js';
import {
  describeInventory,
  withMigrationFixes,
  type FixedGate,
  type MigrationFixFacts,
} from '../plan/migrationFixes.js';
import type { RiskGate } from '../plan/riskGate.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import type { Resolution } from '../shared/migrationFixes.js';
import { call, changing } from './activities.js';
import type { GateResult } from './gates.js';
import type { Host } from './hosts.js';
import type { Deployment } from './runbook.js';
import type { RunState } from './runState.js';

/**
 * End of the pre-checks: a failed migration is triaged (which of its statements took effect), a
 * drifted database inventoried (what a reset would throw away), both read only; then the gate
 * with what they found (plan/migrationFixes.ts). Nothing runs when nothing failed or drifted.
 */
export async function checkMigrationFixes(
  run: RunState,
  o: { deploymentId: string; first: Host; history: MigrationHistory; drift: DriftReport; targetCommit: string },
  gate: RiskGate,
): Promise<FixedGate> {
  const { deploymentId, first, history } = o;
  const t = first.target;
  const facts: MigrationFixFacts = {};
  if (history.failed.length === 1) {
    const migration = history.failed[0]!;
    const summary = `Check which statements of the failed ${migration} took effect`;
    facts.triage = await run.step(
      'triage-migration',
      summary,
      () =>
        call(first, changing.triageFailedMigration, summary, {
          deploymentId,
          target: t,
          migration,
          targetCommit: o.targetCommit,
        }),
      (r) => (r.proposal ? `proposal: ${r.proposal}` : `no resolution: ${r.grounds}`).slice(0, 300),
    );
    run.report.failedMigration = facts.triage;
  } else if (o.drift.drift && history.failed.length === 0) {
    const summary = 'Count the rows a reset would throw away (read only)';
    facts.inventory = await run.step(
      'inspect-data',
      summary,
      () => call(first, changing.inspectData, summary, { target: t }),
      (r) => describeInventory(r).slice(0, 300),
    );
  }
  const fixed = withMigrationFixes(gate, facts);
  if (facts.inventory)
    run.report.drift = { inventory: facts.inventory, resetOffered: fixed.offered.actions.includes('reset') };
  return fixed;
}

/**
 * The runbook's hooks for the two fixes a person may approve: resolving a failed migration
 * (`failed-migration` gate, before the backup) and resetting a drifted database (`reset` at the
 * `migration-risk` gate, in place of `prisma migrate deploy`, after the backup).
 */
export class MigrationFixes {
  private resolution?: { migration: string; action: Resolution; by: string; reason: string };
  private reset?: { by: string; reason: string };

  constructor(
    private readonly d: Deployment,
    private readonly o: { gate: FixedGate; release: ResolvedRelease },
  ) {}

  private get target() {
    return this.d.hosts[0]!.target;
  }

  /** Opens the `failed-migration` gate when the triage proposed a resolution; approve needs that very action. */
  async askResolution(): Promise<void> {
    const r = this.o.gate.resolution;
    if (!r) return;
    const { run, gates, request } = this.d;
    if (request.dryRun) {
      run.report.decisions.push({
        gate: 'failed-migration',
        asked: r.question,
        decision: 'timed-out',
        reason: 'a dry run does not wait: a real deployment would ask this',
        at: new Date().toISOString(),
      });
      throw deployFailure(FailureType.MigrationStateBad, {
        step: 'inspect-migrations',
        what: `${r.migration} failed and must be resolved first (the triage proposes ${r.action}); a dry run cannot rehearse past it`,
        remedy: `start the deployment and approve it with --action ${r.action}, or resolve it by hand`,
        retryable: false,
      });
    }
    const timeout = this.target.approval.timeout;
    const answer = await run.step(
      'approval',
      `Wait for a person to approve ${r.action} of the failed ${r.migration}`,
      async () => {
        const a = await gates.ask('failed-migration', r.question, durationMs(timeout), {
          actions: [r.action],
          actionRequired: true,
        });
        if (a.decision === 'rejected')
          throw deployFailure(FailureType.ApprovalRejected, {
            step: 'approval',
            what: `${a.by} rejected resolving ${r.migration}: ${a.reason}`,
            remedy: 'nothing was changed',
            retryable: false,
          });
        if (a.decision === 'timed-out')
          throw deployFailure(FailureType.ApprovalTimedOut, {
            step: 'approval',
            what: `nobody approved resolving ${r.migration} within ${timeout}`,
            remedy: 'nothing was changed; start again when someone can approve',
            retryable: false,
          });
        return a;
      },
      (a) => `approved by ${a.by}: ${a.reason} (${a.action})`,
    );
    this.resolution = { migration: r.migration, action: r.action, by: answer.by!, reason: answer.reason! };
  }

  /** The `migration-risk` gate's answer: `reset` chooses the runbook's Option B. */
  /** Records an approved reset; returns who approved. */
  approved(answer: GateResult): string | undefined {
    if (answer.action === 'reset') {
      this.reset = { by: answer.by!, reason: answer.reason! };
      this.d.run.report.drift!.reset = { ...this.reset, at: new Date().toISOString() };
    }
    return answer.by;
  }

  /** An approved reset: no rehearsal of `migrate deploy` (nothing of production's data survives it). */
  get resetting(): boolean {
    return this.reset !== undefined;
  }

  /** The app's `prisma migrate resolve --applied` reads the target's migration: the first host must stage it. */
  get needsStaging(): boolean {
    return this.resolution?.action === 'resolve-applied' && this.target.commands.migrateResolve !== 'sql';
  }

  /**
   * Runs the approved resolution, after staging and before writes pause and the backup: the
   * backup, the rehearsal and a rollback then all start from the resolved history (a restore
   * does not bring the failed row back). `cleanUp` removes the staged copy if it fails.
   */
  async resolve(stagedDir: string | undefined, cleanUp: () => Promise<void>): Promise<void> {
    const r = this.resolution;
    if (!r) return;
    const { run, deploymentId } = this.d;
    const flag = r.action === 'resolve-applied' ? '--applied' : '--rolled-back';
    const summary = `Resolve the failed ${r.migration} (prisma migrate resolve ${flag}), approved by ${r.by}`;
    try {
      const done = await run.step(
        'resolve-migration',
        summary,
        () =>
          call(this.d.hosts[0]!, changing.resolveFailedMigration, summary, {
            deploymentId,
            target: this.target,
            migration: r.migration,
            action: r.action,
            targetCommit: this.o.release.target.commit,
            dir: stagedDir,
          }),
        (x) =>
          `${x.changed ? 'resolved' : 'already resolved'} (${x.via === 'sql' ? "_prisma_migrations written as Prisma's resolve does" : 'prisma migrate resolve'})`,
      );
      run.report.failedMigration!.resolved = {
        action: r.action,
        by: r.by,
        reason: r.reason,
        via: done.via,
        changed: done.changed,
      };
    } catch (err) {
      await cleanUp();
      throw err;
    }
  }

  /** The migrate step: the app's `prisma migrate deploy`, or after an approved reset its `prisma migrate reset`. */
  migration(pending: string[]): {
    summary: string;
    run: () => Promise<{ applied: string[] }>;
    describe: (r: { applied: string[] }) => string;
  } {
    const first = this.d.hosts[0]!;
    const t = this.target;
    if (this.reset) {
      const summary = `Reset the database and apply every migration (prisma migrate reset), approved by ${this.reset.by}`;
      return {
        summary,
        run: () =>
          call(first, changing.resetDatabase, summary, {
            target: t,
            maxRows: t.drift.resetMaxRows,
            approvedBy: this.reset!.by,
          }),
        describe: (r) => `reset; applied: ${r.applied.join(', ') || 'none'}`,
      };
    }
    // A migration resolved as applied is not this deployment's to apply.
    const toApply =
      this.resolution?.action === 'resolve-applied' ? pending.filter((m) => m !== this.resolution!.migration) : pending;
    const summary = 'Apply migrations (prisma migrate deploy)';
    return {
      summary,
      run: () => call(first, changing.migrateDatabase, summary, { target: t, pending: toApply }),
      describe: (r) => `applied: ${r.applied.join(', ') || 'none'}`,
    };
  }

  /** The row counts verification expects kept: none after a reset, which empties every table. */
  baseline<T>(rows: T[]): T[] {
    return this.reset ? [] : rows;
  }
}
