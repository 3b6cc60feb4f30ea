import type { DataInventory, MigrationTriage, Resolution } from './inventoryAndTriage.js';
import type { StepName } from './steps.js';

export type Outcome = 'deployed' | 'rolled-back' | 'rollback-failed' | 'aborted' | 'dry-run';

/**
 * The outcomes that fail the workflow: the Web UI shows them red, `temporal workflow result` exits
 * non-zero, schedules count them as failures. The failure's details carry the report.
 */
export const FAILED_OUTCOMES = {
  'rolled-back': 'DeploymentRolledBack',
  aborted: 'DeploymentAborted',
  'rollback-failed': 'RollbackFailed',
} as const satisfies Partial<Record<Outcome, string>>;
export type FailedOutcome = keyof typeof FAILED_OUTCOMES;
export const isFailedOutcome = (o: Outcome): o is FailedOutcome => o in FAILED_OUTCOMES;

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
  /** What the approver chose beyond going on (`reset`, `resolve-rolled-back`, …). */
  action?: string;
  at: string;
}

export interface FailureRecord {
  step?: StepName;
  type: string;
  message: string;
}

/** The deployment report: the workflow's result, printed by the CLI, visible in the Web UI. */
export interface DeploymentReport {
  /**
   * The workflow id: what `safe-deploy status`, `approve`, `rollback`
   * and `cancel` take. Absent from reports before it was added.
   */
  workflowId?: string;
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
    /**
     * The copy in the same cluster (method `snapshot`) and how long
     * the app was shut out of its database while it was taken.
     */
    snapshot?: { database: string; sizeBytes: number; closedMs: number };
    tables: { name: string; rows: number }[];
  };
  migrations?: { statusBefore: string; pending: string[]; applied: string[] };
  /** The risk lint of each pending migration. */
  lint?: {
    name: string;
    severity: string;
    findings: {
      rule: string;
      severity: string;
      line: number;
      statement: string;
      message: string;
      removesRowsOf?: string;
    }[];
  }[];
  /**
   * Rows an approved destructive migration removes (a table dropped, emptied or deleted from):
   * verification does not count them as lost, because a person approved losing them.
   */
  approvedDataLoss?: { table: string; rowsAtBackup?: number; approvedBy: string }[];
  /**
   * Schema drift (runbook Option B): the data production held,
   * whether a reset was offered, and the reset when one was approved.
   */
  drift?: { inventory: DataInventory; resetOffered: boolean; reset?: { by: string; reason: string; at: string } };
  /**
   * A failed migration found before deploying: which statements
   * took effect, the proposal, and its resolution when approved.
   */
  failedMigration?: MigrationTriage & {
    resolved?: { action: Resolution; by: string; reason: string; via: 'cli' | 'sql'; changed: boolean };
  };
  /** The migration run first on a copy of the backup. */
  rehearsal?: {
    migrations: { name: string; durationMs: number }[];
    checks: CheckRecord[];
    previousReleaseCompatible?: boolean;
    compatibility?: string;
    /**
     * What the migration did to data that existed, measured on
     * the copy (present when a code-only rollback was possible).
     */
    existingDataChanges?: { table: string; what: string; columns: string[] }[];
    /** Which rows the copy got (absent: every row, from a backup). */
    copied?: RehearsalCopy;
    durationMs: number;
  };
  /** How a rollback would undo the database, decided before the migration runs. */
  rollbackPlan?: { strategy: 'restore-database' | 'code-only'; why: string };
  checks: CheckRecord[];
  /** How writes were kept from being lost (see the `writes` policy). */
  writes?: { policy: 'stop' | 'detect'; stoppedAt?: string; resumedAt?: string };
  monitoring?: { minutes: number; looks: number; checks: CheckRecord[] };
  /** Backups pruned at the end (backup.keep); an error here never changes the outcome. */
  retention?: { kept: number; removed: string[]; error?: string };
  /** Webhook notifications: sent, skipped, or failed after their retries (never fatal). */
  notifications?: { event: string; sent: boolean; detail: string }[];
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

/** Set while the deployment waits durably for a person or a time; the CLI prints how to answer. */
export interface WaitingFor {
  kind: 'approval' | 'window';
  /** The gate's name (`migration-risk`, `lost-writes`, `window`). */
  gate: string;
  /**
   * For people: "destructive migration 20250101_drop_users needs an
   * approval", "the window sun 03:00–05:00 Europe/Madrid opens at …".
   */
  detail: string;
  /** What `approve --action` may choose here; `actionRequired`: approve needs one of them. */
  actions?: string[];
  actionRequired?: boolean;
  /** ISO time the wait began, and when it ends (approval timeout, window opening). */
  since: string;
  until?: string;
}

/** The rows a rehearsal copy got: only the listed tables' (`rehearsal.rows: needed`), or every row and why. */
export type RehearsalCopy = { rowsOf: string[] } | { everyRow: string };
