import type { ResolvedRelease } from '../shared/releaseFacts.js';
import type { FixedGate } from '../plan/migrationFixGate.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import type { Resolution } from '../shared/inventoryAndTriage.js';
import { call, changing } from './activities.js';
import type { Deployment } from './deployment.js';
import type { GateResult } from './gates.js';
import { recordDryRunGate, waitForApproval } from './phases/approval.js';

/**
 * The runbook's hooks for the two fixes a person may approve: resolving a failed migration
 * (`failed-migration` gate, before the backup) and resetting a drifted database (`reset` at the
 * `migration-risk` gate, in place of `prisma migrate deploy`, after the backup).
 */
export class MigrationFixes {
  private resolution?: { migration: string; action: Resolution; by: string; reason: string };
  private reset?: { by: string; reason: string };

  constructor(
    private readonly deployment: Deployment,
    private readonly found: { gate: FixedGate; release: ResolvedRelease },
  ) {}

  private get target() {
    return this.deployment.hosts[0]!.target;
  }

  /** Opens the `failed-migration` gate when the triage proposed a resolution; approve needs that very action. */
  async askResolution(): Promise<void> {
    const proposed = this.found.gate.resolution;
    if (!proposed) return;
    if (this.deployment.request.dryRun) {
      recordDryRunGate(this.deployment, 'failed-migration', proposed.question);
      throw deployFailure(FailureType.MigrationStateBad, {
        step: 'inspect-migrations',
        what:
          `${proposed.migration} failed and must be resolved first (the triage proposes ${proposed.action}); ` +
          'a dry run cannot rehearse past it',
        remedy: `start the deployment and approve it with --action ${proposed.action}, or resolve it by hand`,
        retryable: false,
      });
    }
    const answer = await waitForApproval(this.deployment, {
      summary: `Wait for a person to approve ${proposed.action} of the failed ${proposed.migration}`,
      gate: 'failed-migration',
      question: proposed.question,
      offered: { actions: [proposed.action], actionRequired: true },
      subject: `resolving ${proposed.migration}`,
    });
    this.resolution = {
      migration: proposed.migration,
      action: proposed.action,
      by: answer.by!,
      reason: answer.reason!,
    };
  }

  /** The `migration-risk` gate's answer (`reset`: the runbook's Option B): records a reset; returns who approved. */
  approved(answer: GateResult): string | undefined {
    if (answer.action === 'reset') {
      this.reset = { by: answer.by!, reason: answer.reason! };
      this.deployment.run.report.drift!.reset = { ...this.reset, at: new Date().toISOString() };
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
    const resolution = this.resolution;
    if (!resolution) return;
    const { run, deploymentId, step } = this.deployment;
    const { migration, action, by } = resolution;
    const flag = action === 'resolve-applied' ? '--applied' : '--rolled-back';
    const summary = `Resolve the failed ${migration} (prisma migrate resolve ${flag}), approved by ${by}`;
    const targetCommit = this.found.release.target.commit;
    const input = { deploymentId, target: this.target, migration, action, targetCommit };
    try {
      const done = await step(
        this.deployment.hosts[0]!,
        'resolve-migration',
        summary,
        changing.resolveFailedMigration,
        { ...input, dir: stagedDir },
        (resolved) => {
          const how =
            resolved.via === 'sql' ? "_prisma_migrations written as Prisma's resolve does" : 'prisma migrate resolve';
          return `${resolved.changed ? 'resolved' : 'already resolved'} (${how})`;
        },
      );
      const { reason } = resolution;
      run.report.failedMigration!.resolved = { action, by, reason, via: done.via, changed: done.changed };
    } catch (err) {
      await cleanUp();
      throw err;
    }
  }

  /** The migrate step: the app's `prisma migrate deploy`, or after an approved reset its `prisma migrate reset`. */
  migration(pending: string[]): {
    summary: string;
    run: () => Promise<{ applied: string[] }>;
    describe: (migrated: { applied: string[] }) => string;
  } {
    const first = this.deployment.hosts[0]!;
    const target = this.target;
    if (this.reset) {
      const approvedBy = this.reset.by;
      const summary = `Reset the database and apply every migration (prisma migrate reset), approved by ${approvedBy}`;
      const input = { target, maxRows: target.drift.resetMaxRows, approvedBy };
      return {
        summary,
        run: () => call(first, changing.resetDatabase, summary, input),
        describe: (migrated) => `reset; applied: ${migrated.applied.join(', ') || 'none'}`,
      };
    }
    // A migration resolved as applied is not this deployment's to apply.
    const toApply =
      this.resolution?.action === 'resolve-applied'
        ? pending.filter((name) => name !== this.resolution!.migration)
        : pending;
    const summary = 'Apply migrations (prisma migrate deploy)';
    return {
      summary,
      run: () => call(first, changing.migrateDatabase, summary, { target, pending: toApply }),
      describe: (migrated) => `applied: ${migrated.applied.join(', ') || 'none'}`,
    };
  }

  /** The row counts verification expects kept: none after a reset, which empties every table. */
  baseline<T>(rows: T[]): T[] {
    return this.reset ? [] : rows;
  }
}
