import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { FaultPlan } from './plan.js';

/**
 * From the workflow's real event history: verification run id → attempts, and the attempts of
 * the activity the plan targeted (the started event records the last attempt).
 */
export async function activityAttempts(
  handle: WorkflowHandle,
  plan: Pick<FaultPlan, 'activity' | 'input'>,
): Promise<{ verifications: Map<string, number>; attempts: number }> {
  const history = await handle.fetchHistory();
  const scheduled = new Map<string, { type: string; input: Record<string, unknown> }>();
  const verifications = new Map<string, number>();
  let attempts = 0;
  for (const ev of history.events ?? []) {
    const s = ev.activityTaskScheduledEventAttributes;
    if (s?.activityType?.name)
      scheduled.set(String(ev.eventId), {
        type: s.activityType.name,
        input: s.input?.payloads?.[0]
          ? defaultPayloadConverter.fromPayload<Record<string, unknown>>(s.input.payloads[0])
          : {},
      });
    const st = ev.activityTaskStartedEventAttributes;
    const activity = st ? scheduled.get(String(st.scheduledEventId)) : undefined;
    if (!st || !activity) continue;
    const attempt = st.attempt ?? 1;
    if (activity.type === 'verifyDeployment') {
      const runId = String(activity.input.runId);
      verifications.set(runId, Math.max(verifications.get(runId) ?? 0, attempt));
    }
    if (activity.type === plan.activity && Object.entries(plan.input).every(([k, v]) => activity.input[k] === v))
      attempts = Math.max(attempts, attempt);
  }
  return { verifications, attempts };
}
