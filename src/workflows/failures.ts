import { ActivityFailure, ApplicationFailure, isCancellation } from '@temporalio/workflow';
import { INPUT_FAILURES, type FailureType } from '../shared/errors.js';
import { FAILED_OUTCOMES, type DeploymentReport, type FailedOutcome, type FailureRecord } from '../shared/report.js';

/** The typed failure under an activity failure (or the failure itself). */
export function applicationFailureOf(err: unknown): ApplicationFailure | undefined {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) return err.cause;
  if (err instanceof ApplicationFailure) return err;
  return undefined;
}

/** Retries are bounded; when a step gave up after them, the report says so. */
const retriesNote = (err: unknown) =>
  err instanceof ActivityFailure && (err.retryState === 'MAXIMUM_ATTEMPTS_REACHED' || err.retryState === 'TIMEOUT')
    ? ` (gave up after its retries: ${err.retryState === 'TIMEOUT' ? 'timed out' : 'maximum attempts reached'})`
    : '';

/** What a step cut short by a cancellation says until who cancelled is known. */
export const CANCELLED = 'the deployment was cancelled';

export function describeFailure(err: unknown): FailureRecord {
  if (isCancellation(err)) return { type: 'Cancelled', message: CANCELLED };
  const app = applicationFailureOf(err);
  if (app) return { type: app.type ?? 'ApplicationFailure', message: `${app.message}${retriesNote(err)}` };
  if (err instanceof ActivityFailure)
    return { type: 'ActivityFailure', message: `${err.activityType}: ${err.cause?.message ?? err.message}` };
  return { type: (err as Error)?.name ?? 'Error', message: (err as Error)?.message ?? String(err) };
}

/** The check results an activity attached to its failure (verification), if any. */
export function checksOf(err: unknown): { name: string; kind: string; ok: boolean; detail: string }[] {
  const details = applicationFailureOf(err)?.details?.[0] as
    { checks?: { name: string; kind: string; ok: boolean; detail: string }[] } | undefined;
  return details?.checks ?? [];
}

/** `rolled-back: [verify] 1 of 18 checks failed…` — the one-line outcome, the report in the details. */
export function outcomeFailure(report: DeploymentReport): ApplicationFailure {
  const outcome = report.outcome as FailedOutcome;
  return ApplicationFailure.create({
    type: FAILED_OUTCOMES[outcome],
    nonRetryable: true,
    message: `${outcome}${report.error ? `: ${report.error.message}` : ''}`,
    details: [report],
  });
}

/** A bad request or config fails the workflow itself, naming the field; nothing was changed. */
export function asInputFailure(err: unknown): unknown {
  const cause = applicationFailureOf(err);
  return cause && INPUT_FAILURES.includes(cause.type as FailureType)
    ? ApplicationFailure.create({ type: cause.type ?? undefined, message: cause.message, nonRetryable: true })
    : err;
}
