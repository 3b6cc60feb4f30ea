/**
 * Every step of a deployment and of its rollback, one union shared by progress, the report,
 * errors and activity summaries.
 */
export const FORWARD_STEPS = [
  'load-config',
  'check-tools',
  'check-database',
  'resolve-release',
  'check-environment',
  'check-disk',
  'inspect-migrations',
  'backup',
  'activate-release',
  'install-dependencies',
  'migrate',
  'restart',
  'verify',
] as const;

export const ROLLBACK_STEPS = [
  'restore-database',
  'reactivate-release',
  'reinstall-dependencies',
  'restart-previous',
  'verify-rollback',
] as const;

/** Work beside the runbook: not a step of the deployment or of its rollback, but it can fail. */
export const SIDE_STEPS = ['notify'] as const;

export type ForwardStep = (typeof FORWARD_STEPS)[number];
export type RollbackStep = (typeof ROLLBACK_STEPS)[number];
export type SideStep = (typeof SIDE_STEPS)[number];
export type StepName = ForwardStep | RollbackStep | SideStep;
