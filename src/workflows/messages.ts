import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { DecisionAction } from '../plan/decision.js';
import type { Outcome, Progress } from '../shared/report.js';

/**
 * The messages a deployment answers, defined once for the workflow, the CLI and tests
 * (`temporal workflow query --type progress`, `temporal workflow update execute --name approve`).
 */

/** Steps so far, their status and timings, and what the deployment waits for. */
export const progressQuery = defineQuery<Progress>('progress');

/** Who decides and why: kept in the history (the audit log), so never a secret. */
export interface Decision {
  /** A person's name or handle. */
  by: string;
  reason: string;
  /**
   * With `approve` only, and only one the open gate offers (its question lists them): `reset`,
   * `resolve-applied`, `resolve-rolled-back`.
   */
  action?: DecisionAction;
}

/** What an `approve`/`reject` answered: which gate it settled. */
export interface GateAnswer {
  gate: string;
  decision: 'approved' | 'rejected';
  action?: DecisionAction;
}

/** Lets a deployment that waits for a person go on. Rejected unless it is waiting. */
export const approveUpdate = defineUpdate<GateAnswer, [Decision]>('approve');
/** Ends a deployment that waits for a person: before any change `aborted`; during a rollback, no restore. */
export const rejectUpdate = defineUpdate<GateAnswer, [Decision]>('reject');

/** What a `rollback` update answers once the rollback has ended. */
export interface RollbackAnswer {
  outcome: Outcome;
}
/** Rolls the deployment back now, at any point until it has finished; answers when the rollback ends. */
export const rollbackUpdate = defineUpdate<RollbackAnswer, [Decision]>('rollback');
