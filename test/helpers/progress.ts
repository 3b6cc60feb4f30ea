import type { WorkflowHandle } from '@temporalio/client';
import type { Progress } from '../../src/shared/report.js';

/** Why the workflow refused an update (the client wraps it in WorkflowUpdateFailedError). */
export const refusal = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'accepted',
    (e: { cause?: { message?: string }; message: string }) => e.cause?.message ?? e.message,
  );

/**
 * Queries `progress` until `until` holds; fails as soon as the deployment is in none of the
 * `ongoing` states (it ended, or began rolling back where that is not expected), or after `timeoutMs`.
 */
export async function pollProgress(
  handle: WorkflowHandle,
  what: string,
  until: (p: Progress) => boolean,
  o: { timeoutMs?: number; ongoing?: readonly Progress['status'][] } = {},
): Promise<Progress> {
  const { timeoutMs = 120_000, ongoing = ['running'] } = o;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const p = await handle.query<Progress>('progress');
    if (until(p)) return p;
    if (!ongoing.includes(p.status)) throw new Error(`the deployment ended (${p.status}) before ${what}`);
    if (Date.now() > deadline) throw new Error(`no ${what} after ${timeoutMs / 1000} s (at ${p.currentStep})`);
    await new Promise((r) => setTimeout(r, 150));
  }
}
