import { CancellationScope, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type { TargetConfig } from '../config/schema.js';
import type { NotifyEvent } from '../shared/notify.js';
import { call, THIS_WORKER } from './activities.js';
import { describeFailure } from './failures.js';
import type { RunState } from './runState.js';

/** Webhooks: a few quick retries, then given up on; a notification never fails a deployment. */
const notifying = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5, initialInterval: '2 seconds', backoffCoefficient: 2 },
});

/** Sends `event` to the environment's webhook, if one is configured, and records what happened in the report. */
export function notifier(run: RunState, target: TargetConfig, ref: string) {
  const { workflowId, namespace } = workflowInfo();
  const base = target.notify?.webUiUrl?.replace(/\/+$/, '');
  const webUiUrl = base
    ? `${base}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`
    : undefined;
  return async (event: NotifyEvent, summary: string, outcome?: string): Promise<void> => {
    if (!target.notify) return;
    const notifications = (run.report.notifications ??= []);
    // Not cancellable: the last word of a cancelled deployment must still go out.
    await CancellationScope.nonCancellable(async () => {
      try {
        const sent = await call(THIS_WORKER, notifying.notify, `Notify: ${event}`, {
          target,
          event,
          summary,
          outcome,
          webUiUrl,
          deploymentId: run.report.deploymentId,
          workflowId,
          app: target.app,
          environment: target.environment,
          ref,
        });
        notifications.push({
          event,
          sent: sent.sent,
          detail: sent.sent ? `HTTP ${sent.status}` : `skipped: ${sent.skipped}`,
        });
      } catch (err) {
        notifications.push({ event, sent: false, detail: describeFailure(err).message });
      }
    });
  };
}
