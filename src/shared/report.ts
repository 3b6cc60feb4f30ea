import type { StepName } from './steps.js';

export type Outcome = 'deployed' | 'rolled-back' | 'rollback-failed' | 'aborted' | 'dry-run';

export interface StepRecord {
  name: StepName;
  phase: 'deploy' | 'rollback';
  status: 'running' | 'ok' | 'failed' | 'skipped';
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

export interface DecisionRecord {
  gate: string;
  asked: string;
  decision: 'approved' | 'rejected' | 'timed-out';
  by?: string;
  reason?: string;
  at: string;
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
  backup?: {
    method: 'dump' | 'snapshot';
    /** The dump, when one was taken (always with `dump`; with `snapshot` unless `backup.dump` is false). */
    path?: string;
    format?: string;
    sizeBytes?: number;
    sha256?: string;
    /** The copy in the same cluster (method `snapshot`) and how long the app was shut out of its database while it was taken. */
    snapshot?: { database: string; sizeBytes: number; closedMs: number };
    tables: { name: string; rows: number }[];
  };
  migrations?: { statusBefore: string; pending: string[]; applied: string[] };
  checks: CheckRecord[];
  /** How writes were kept from being lost (see the `writes` policy). */
  writes?: { policy: 'stop' | 'detect'; stoppedAt?: string; resumedAt?: string };
  monitoring?: { minutes: number; looks: number; checks: CheckRecord[] };
  /** Approvals asked and given (or refused) during the deployment. */
  decisions: DecisionRecord[];
  rollback?: {
    reason: string;
    /** Who asked for it, when it was asked for (an update or a cancellation). */
    requestedBy?: string;
    verified: boolean;
    checks: CheckRecord[];
    /** `restore-database`: the backup was put back; `code-only`: code and dependencies reverted, the database kept. */
    strategy?: 'restore-database' | 'code-only';
    databaseRestored?: boolean;
    /** What the database came back from: the snapshot (a rename), or the dump (a restore). */
    restoredFrom?: 'snapshot' | 'dump';
    failedDatabaseKeptAs?: string;
    /** Rows written since the backup by others than safe-deploy, per table, when the rollback began. */
    lostWrites?: Record<string, number>;
    /** What is done and what is not, one line each. */
    undone: string[];
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
  /** What the deployment waits for, and how to answer it. */
  waitingFor?: WaitingFor;
  steps: StepRecord[];
}

export interface WaitingFor {
  kind: 'approval' | 'window';
  /** The gate's name (`migration-risk`, `lost-writes`, `window`). */
  gate: string;
  /** What is asked, for people. */
  detail: string;
  since: string;
  until?: string;
}
