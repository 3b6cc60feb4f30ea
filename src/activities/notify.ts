import { Context } from '@temporalio/activity';
import { durationMs } from '../shared/duration.js';
import type { TargetConfig } from '../config/schema.js';
import { redact } from '../exec/redact.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import type { NotifyEvent } from '../shared/notify.js';
import { lookupEnv, type ActivityDeps } from './activityDeps.js';

export interface NotifyInput {
  target: TargetConfig;
  event: NotifyEvent;
  deploymentId: string;
  workflowId: string;
  app: string;
  environment: string;
  ref: string;
  outcome?: string;
  /** One line for people: what happened (no secrets: the workflow writes it). */
  summary: string;
  /** Link to the workflow in the Temporal Web UI. */
  webUiUrl?: string;
  details?: Record<string, string | number | boolean>;
}

export interface NotifyResult {
  sent: boolean;
  /** The webhook's HTTP status, when it answered 2xx. */
  status?: number;
  skipped?: 'not-configured' | 'event-filtered';
}

export interface NotificationPayload {
  /** Slack's incoming webhooks show this field; other receivers read the structured ones. */
  text: string;
  event: NotifyEvent;
  app: string;
  environment: string;
  ref: string;
  deploymentId: string;
  workflowId: string;
  outcome?: string;
  summary: string;
  webUiUrl?: string;
  details?: Record<string, string | number | boolean>;
}

const HEADLINE: Record<NotifyEvent, { emoji: string; says: string }> = {
  started: { emoji: ':rocket:', says: 'deployment started' },
  'waiting-for-approval': { emoji: ':hourglass_flowing_sand:', says: 'waiting for approval' },
  deployed: { emoji: ':white_check_mark:', says: 'deployed' },
  'rolled-back': { emoji: ':leftwards_arrow_with_hook:', says: 'rolled back' },
  'rollback-failed': { emoji: ':rotating_light:', says: 'ROLLBACK FAILED, manual steps needed' },
};

/**
 * Slack's mrkdwn control characters, escaped as Slack asks (&amp; &lt; &gt;): text people typed
 * (`requestedBy`, `reason`, an approver's words) or a release wrote is shown as written, so
 * `<!channel>` pings nobody and `<http://x|y>` is no disguised link.
 */
export const slackEscape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A URL inside Slack's `<url|label>`: `|`, `<`, `>` and spaces would end it early, so they are percent-encoded. */
const slackLinkUrl = (url: string): string => url.replace(/[|<> ]/g, (c) => encodeURIComponent(c));

/** The JSON body: one human line for Slack (`<url|label>` is Slack's link syntax) plus the facts, as they are. */
export function notificationPayload(i: Omit<NotifyInput, 'target'>): NotificationPayload {
  const h = HEADLINE[i.event];
  const link = i.webUiUrl ? ` <${slackLinkUrl(i.webUiUrl)}|Open in Temporal>` : '';
  return {
    text: `${h.emoji} ${slackEscape(`${i.app} ${i.environment} ${i.ref}: ${h.says}. ${i.summary}`)}${link}`,
    event: i.event,
    app: i.app,
    environment: i.environment,
    ref: i.ref,
    deploymentId: i.deploymentId,
    workflowId: i.workflowId,
    ...(i.outcome !== undefined ? { outcome: i.outcome } : {}),
    summary: i.summary,
    ...(i.webUiUrl !== undefined ? { webUiUrl: i.webUiUrl } : {}),
    ...(i.details !== undefined ? { details: i.details } : {}),
  };
}

/**
 * 5xx, 408 and 429 say "later". A redirect (not followed: it would turn the POST into a GET or
 * send the payload elsewhere) or another 4xx says the URL or the request is wrong: a retry won't help.
 */
export const isRetryableStatus = (status: number) => status >= 500 || status === 408 || status === 429;

function cancellationSignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined; // outside an activity
  }
}

export function createNotifyActivities(deps: ActivityDeps) {
  return {
    /**
     * Posts one event to the environment's webhook. The URL is read by NAME here and never leaves
     * this function: not in the result, the payload, a log or an error message. A network error,
     * a timeout, 408, 429 or 5xx throws a retryable NotificationFailed (the workflow's retry
     * policy bounds it); another 4xx, a redirect, a missing variable or a bad URL, a non-retryable one.
     */
    async notify(input: NotifyInput): Promise<NotifyResult> {
      const { target, ...facts } = input;
      const n = target.notify;
      if (!n) return { sent: false, skipped: 'not-configured' };
      if (!n.events.includes(input.event)) return { sent: false, skipped: 'event-filtered' };

      const name = n.webhookUrlEnv;
      const failure = (what: string, retryable: boolean, secrets: readonly string[] = []) =>
        deployFailure(FailureType.NotificationFailed, {
          step: 'notify',
          what: redact(`the ${input.event} notification to the webhook in ${name} ${what}`, secrets),
          remedy: retryable
            ? 'it is retried; check that the webhook receiver is up'
            : `check the webhook URL in ${name} and the receiver's answer`,
          retryable,
        });

      const found = lookupEnv(deps, target.envFile, name);
      if (!found)
        throw failure(
          `was not sent: ${name} is not set${target.envFile ? ` in ${target.envFile} nor` : ''} in the ` +
            `worker's environment`,
          false,
        );
      const url = found.value;
      // Every form the URL can take in an error text: whole, and its path (Slack's token lives there).
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw failure('was not sent: the variable does not hold a URL', false, [url]);
      }
      const secrets = [url, parsed.href, `${parsed.pathname}${parsed.search}`].filter((s) => s.length > 1);
      if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
        throw failure('was not sent: the variable does not hold an http(s) URL', false, secrets);

      const payload = notificationPayload(facts);
      const body = redact(JSON.stringify(payload), secrets); // nothing of the URL, nor any user:password@, goes out
      const timeoutMs = durationMs(n.timeout);
      const cancelled = cancellationSignal();
      const signal = cancelled
        ? AbortSignal.any([AbortSignal.timeout(timeoutMs), cancelled])
        : AbortSignal.timeout(timeoutMs);

      let res: Response;
      try {
        res = await fetch(parsed, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'safe-deploy' },
          body,
          signal,
          redirect: 'manual',
        });
      } catch (e) {
        if (cancelled?.aborted) throw cancelled.reason; // the activity was cancelled: report that, not a failure
        const err = e as Error & { cause?: Error };
        const why =
          err.name === 'TimeoutError'
            ? `got no answer within ${timeoutMs} ms`
            : `failed: ${err.cause?.message ?? err.message}`;
        throw failure(why, true, secrets);
      }
      const answer = (await res.text().catch(() => '')).slice(0, 200);
      if (res.ok) return { sent: true, status: res.status };
      throw failure(`was answered ${res.status}${answer ? `: ${answer}` : ''}`, isRetryableStatus(res.status), secrets);
    },
  };
}
