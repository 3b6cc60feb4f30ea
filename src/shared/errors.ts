import { ApplicationFailure } from '@temporalio/common';
import type { StepName } from './steps.js';

/** One failure type per kind of failure; the workflow branches on these, never on message text. */
export const FailureType = {
  InvalidRequest: 'InvalidRequest',
  InvalidConfig: 'InvalidConfig',
  ToolMissing: 'ToolMissing',
  DatabaseUnreachable: 'DatabaseUnreachable',
  ReleaseNotFound: 'ReleaseNotFound',
  WorkingCopyDirty: 'WorkingCopyDirty',
  EnvironmentIncomplete: 'EnvironmentIncomplete',
  DiskSpaceLow: 'DiskSpaceLow',
  MigrationStateBad: 'MigrationStateBad',
  /** Prisma cannot migrate safely: its advisory lock is taken, a transaction pooler, or a CLI too old. */
  PrismaHazard: 'PrismaHazard',
  BackupUnverified: 'BackupUnverified',
  DependencyInstallFailed: 'DependencyInstallFailed',
  MigrationFailed: 'MigrationFailed',
  /** `prisma migrate resolve` (or its SQL equivalent) did not leave the failed migration resolved as approved. */
  MigrationResolveFailed: 'MigrationResolveFailed',
  /** An approved reset found more data than `drift.resetMaxRows` allows when it came to run: nothing was reset. */
  ResetRefused: 'ResetRefused',
  RestartFailed: 'RestartFailed',
  HealthCheckFailed: 'HealthCheckFailed',
  VerificationFailed: 'VerificationFailed',
  RestoreUnverified: 'RestoreUnverified',
  /**
   * A DROP DATABASE or rename the guard refused: production, a template, or a database not labelled as safe-deploy's.
   */
  DestructionRefused: 'DestructionRefused',
  WritesControlFailed: 'WritesControlFailed',
  RehearsalFailed: 'RehearsalFailed',
  DeploymentInProgress: 'DeploymentInProgress',
  /** The app+environment is frozen (`safe-deploy freeze`): refused at load-config, nothing changed. */
  DeploymentFrozen: 'DeploymentFrozen',
  ApprovalRejected: 'ApprovalRejected',
  ApprovalTimedOut: 'ApprovalTimedOut',
  MonitoringFailed: 'MonitoringFailed',
  RollbackRequested: 'RollbackRequested',
  CommandFailed: 'CommandFailed',
  CommandTimedOut: 'CommandTimedOut',
  /**
   * safe-deploy's own SQL ran into its lock_timeout (retryable: the lock may
   * be released) or statement_timeout (not: it would run as long again).
   */
  SqlTimedOut: 'SqlTimedOut',
  NotificationFailed: 'NotificationFailed',
  /** The workflow's own failure when a deployment ended rolled back; its details carry the report. */
  DeploymentRolledBack: 'DeploymentRolledBack',
  /** …ended aborted (nothing changed, or only a pause undone). */
  DeploymentAborted: 'DeploymentAborted',
  /** …ended with a rollback that did not finish: people must act. */
  RollbackFailed: 'RollbackFailed',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Failures of the request or configuration: the deployment cannot start, nothing was changed. */
export const INPUT_FAILURES: readonly FailureType[] = [
  FailureType.InvalidRequest,
  FailureType.InvalidConfig,
  FailureType.DeploymentFrozen,
];

export interface FailureFacts {
  /** 'deploy': the deployment as a whole (a rollback asked for when no step had failed). */
  step: StepName | 'deploy';
  what: string;
  remedy: string;
  /** Required, so every throw site decides whether a retry could help. */
  retryable: boolean;
  /** Already redacted: details are stored in history. */
  details?: unknown;
}

/** `[step] what. Remedy: remedy` — where it happened and what to do, in every message. */
export function deployFailure(type: FailureType, f: FailureFacts): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    nonRetryable: !f.retryable,
    message: `[${f.step}] ${f.what}. Remedy: ${f.remedy}`,
    details: f.details === undefined ? [] : [f.details],
  });
}
