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
  'inspect-migrations',
  'wait-for-window',
  'approval',
  'stop-writes',
  'backup',
  'activate-release',
  'install-dependencies',
  'migrate',
  'restart',
  'verify',
  'resume-writes',
  'monitor',
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

export type ForwardStep = (typeof FORWARD_STEPS)[number];
export type RollbackStep = (typeof ROLLBACK_STEPS)[number];
export type StepName = ForwardStep | RollbackStep;
