import type { StepName } from './steps.js';

export type Outcome = 'deployed' | 'rolled-back' | 'rollback-failed' | 'aborted' | 'dry-run';

export interface StepRecord {
  name: StepName;
  phase: 'deploy' | 'rollback';
  status: 'running' | 'ok' | 'failed';
  /** What the step did, for people: "Back up farm-chat production database". */
  summary: string;
  startedAt: string;
  durationMs?: number;
  /** One line of what it found or did. */
  result?: string;
  error?: string;
}

export interface CheckRecord {
  name: string;
  kind: string;
  ok: boolean;
  detail: string;
}

export interface FailureRecord {
  step?: StepName;
  type: string;
  message: string;
}

/** The deployment report: the workflow's result, printed by the CLI, visible in the Web UI. */
export interface DeploymentReport {
  deploymentId: string;
  app: string;
  environment: string;
  ref: string;
  outcome: Outcome;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  release?: { from: { commit: string; name: string }; to: { commit: string; name: string } };
  steps: StepRecord[];
  backup?: { path: string; format: string; sizeBytes: number; sha256: string; tables: { name: string; rows: number }[] };
  migrations?: { statusBefore: string; pending: string[]; applied: string[] };
  checks: CheckRecord[];
  rollback?: {
    reason: string;
    verified: boolean;
    checks: CheckRecord[];
    databaseRestored?: boolean;
    failedDatabaseKeptAs?: string;
    /** What is not undone and the commands to finish by hand. Empty when the rollback completed. */
    leftForHumans: string[];
  };
  error?: FailureRecord;
}

export interface Progress {
  deploymentId: string;
  app?: string;
  environment?: string;
  ref?: string;
  status: 'running' | 'rolling-back' | Outcome;
  currentStep?: StepName;
  steps: StepRecord[];
  /** Set while the deployment waits durably for a person or a time; the CLI prints how to answer. */
  waitingFor?: WaitingFor;
}

export interface WaitingFor {
  kind: 'approval' | 'window' | (string & {});
  /** For people: "destructive migration 20250101_drop_users needs an approval", "window sun 03:00–05:00 Europe/Madrid opens 2025-06-01T01:00:00Z". */
  detail: string;
  /** ISO time the wait began. */
  since: string;
}
