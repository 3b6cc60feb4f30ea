/**
 * Every step of a deployment and of its rollback, one union shared by progress, the report,
 * errors and activity summaries.
 */
export const FORWARD_STEPS = [
  'load-config',
  'lock',
  'check-tools',
  'check-database',
  'resolve-release',
  'check-environment',
  'check-disk',
  'check-prisma',
  'inspect-migrations',
  'check-drift',
  'lint-migrations',
  'triage-migration',
  'inspect-data',
  'wait-for-window',
  'approval',
  'stage-release',
  'resolve-migration',
  'stop-writes',
  'backup',
  'fingerprint-backup',
  'rehearse',
  'remove-staging',
  'activate-release',
  'install-dependencies',
  'migrate',
  'restart',
  'verify',
  'resume-writes',
  'dump-backup',
  'monitor',
  'prune',
] as const;

export const ROLLBACK_STEPS = [
  'stop-writes-again',
  'check-lost-writes',
  'approve-lost-writes',
  'restore-database',
  'reactivate-release',
  'reinstall-dependencies',
  'restart-previous',
  'verify-rollback',
  'resume-writes-after-rollback',
] as const;

/** Work beside the runbook: not a step of the deployment or of its rollback, but it can fail. */
export const SIDE_STEPS = ['notify'] as const;

export type ForwardStep = (typeof FORWARD_STEPS)[number];
export type RollbackStep = (typeof ROLLBACK_STEPS)[number];
export type SideStep = (typeof SIDE_STEPS)[number];
export type StepName = ForwardStep | RollbackStep | SideStep;
