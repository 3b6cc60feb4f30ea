import type { DeployRequest, TargetConfig } from '../config/schema.js';
import type { MigrationHistory } from '../shared/migrationFacts.js';
import type { ResolvedRelease } from '../shared/releaseFacts.js';
import type { FixedGate } from '../plan/migrationFixGate.js';
import type { DeploymentReport } from '../shared/report.js';
import type { NotifyEvent } from '../shared/notify.js';
import type { changing } from './activities.js';
import type { Compensations } from './compensations.js';
import type { Gates } from './gates.js';
import type { Host } from './hosts.js';
import type { MigrationFixes } from './migrationFixes.js';
import type { RunState } from './runState.js';
import type { ActivityStep } from './steps.js';

/** What safeDeployment hands the runbook, and what the rollback after it reads. */
export interface Deployment {
  deploymentId: string;
  request: DeployRequest;
  /** Every host the app runs on; the first one also runs the database steps. */
  hosts: Host[];
  run: RunState;
  /** Runs one activity as one step (its summary written once). */
  step: ActivityStep;
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

/** The deployment once the pre-checks have read the release, the migrations and the gate: what every phase reads. */
export interface Runbook extends Deployment {
  /** The host that also runs the database steps. */
  first: Host;
  /** The first host's configuration of the app+environment. */
  target: TargetConfig;
  /** `farm-chat production`, as the summaries say it. */
  what: string;
  /** codeLayout `releases`: a directory per release, `current` a symlink (else in place). */
  releases: boolean;
  /** The undos' activities: retried through outages for rollback.retryFor. */
  undoing: typeof changing;
  release: ResolvedRelease;
  history: MigrationHistory;
  gate: FixedGate;
  fixes: MigrationFixes;
}
