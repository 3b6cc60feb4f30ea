import { Context } from '@temporalio/activity';
import type { HttpCheck } from '../config/schema.js';
import { redact } from '../exec/redact.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import type { StepName } from '../shared/steps.js';
import { urlOnOrigin } from '../shared/urls.js';

export interface CheckResult {
  name: string;
  kind: 'code' | 'dependencies' | 'health' | 'http' | 'schema' | 'migrations' | 'data';
  ok: boolean;
  detail: string;
  durationMs: number;
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** Replaces `{{name}}` in every string of a JSON value (own names only: `{{constructor}}` stays as written). */
export function fillTemplate<T>(value: T, vars: Record<string, string>): T {
  if (typeof value === 'string')
    return value.replace(/\{\{(\w+)\}\}/g, (m, k: string) => (Object.hasOwn(vars, k) ? vars[k]! : m)) as T;
  if (Array.isArray(value)) return value.map((v) => fillTemplate(v, vars)) as T;
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillTemplate(v, vars)])) as T;
  return value;
}

const short = (text: string, secrets: readonly string[]) => redact(text, secrets).slice(0, 300);

/**
 * A configured path (`health.path`, `monitor.errorCounter.path`) on
 * baseUrl's origin, or a non-retryable InvalidConfig naming `field`.
 */
export function appUrl(baseUrl: string, path: string, field: string, step: StepName): URL {
  try {
    return urlOnOrigin(baseUrl, path);
  } catch (e) {
    throw deployFailure(FailureType.InvalidConfig, {
      step,
      what: `${field}: ${(e as Error).message}`,
      remedy: `make ${field} a path on baseUrl's origin, e.g. /health`,
      retryable: false,
    });
  }
}

const MAX_REDIRECTS = 5;

/**
 * fetch that never leaves `url`'s origin: redirects are followed by hand, and only on the same
 * origin (fetch would follow them anywhere, carrying custom headers such as the maintenance
 * bypass). A 303, or a 301/302 after a POST, continues as a GET without a body, as browsers do.
 */
export async function fetchOnOrigin(url: URL, init: RequestInit & { method: string }): Promise<Response> {
  let current = url;
  let request = init;
  for (let hop = 0; ; hop++) {
    const res = await fetch(current, { ...request, redirect: 'manual' });
    const location = res.status >= 300 && res.status < 400 ? res.headers.get('location') : null;
    if (location === null) return res;
    await res.body?.cancel();
    const next = new URL(location, current);
    if (next.origin !== url.origin)
      throw new Error(`redirected (${res.status}) to another origin, ${next.origin}: not followed`);
    if (hop + 1 >= MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`);
    if (res.status === 303 || ((res.status === 301 || res.status === 302) && request.method === 'POST')) {
      const headers = { ...(request.headers as Record<string, string>) };
      delete headers['content-type'];
      request = { ...request, method: request.method === 'HEAD' ? 'HEAD' : 'GET', body: undefined, headers };
    }
    current = next;
  }
}

/** The running activity's cancellation, if any: a cancel must reach a health wait or a check within seconds. */
function cancellation(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined; // outside an activity
  }
}

/** A request's signal: its own time limit, or the activity's cancellation, whichever comes first. */
export function requestSignal(timeoutMs: number): AbortSignal {
  const cancelled = cancellation();
  return cancelled ? AbortSignal.any([AbortSignal.timeout(timeoutMs), cancelled]) : AbortSignal.timeout(timeoutMs);
}

/** Throws the activity's cancellation if it came: a cancelled wait is not a failed check. */
export function throwIfCancelled(): void {
  const cancelled = cancellation();
  if (cancelled?.aborted) throw cancelled.reason;
}

/** Sleeps `ms`, waking at once (and throwing) when the activity is cancelled. */
function pause(ms: number): Promise<void> {
  const cancelled = cancellation();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cancelled?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled!.reason);
    };
    cancelled?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs checks in order against the live app. Later checks may use values captured by earlier
 * ones (a login token), and `{{runId}}` so that a registration never collides with a previous run.
 */
export async function runHttpChecks(
  baseUrl: string,
  checks: HttpCheck[],
  runId: string,
  secrets: readonly string[] = [],
  extraHeaders: Record<string, string> = {},
): Promise<CheckResult[]> {
  const vars: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, { runId });
  const results: CheckResult[] = [];
  for (const raw of checks) {
    const check = fillTemplate(raw, vars);
    const started = Date.now();
    const result = (ok: boolean, detail: string) =>
      results.push({
        name: check.name,
        kind: 'http',
        ok,
        detail: short(detail, secrets),
        durationMs: Date.now() - started,
      });
    try {
      const headers: Record<string, string> = { accept: 'application/json', ...extraHeaders };
      if (check.body !== undefined) headers['content-type'] = 'application/json';
      if (check.bearer) headers.authorization = `Bearer ${check.bearer}`;
      // Refused before any header leaves: a path (filled from captured values too) that names another origin.
      const res = await fetchOnOrigin(urlOnOrigin(baseUrl, check.path), {
        method: check.method,
        headers,
        body: check.body === undefined ? undefined : JSON.stringify(check.body),
        signal: requestSignal(15_000),
      });
      const text = await res.text();
      let body: Record<string, Json> = {};
      try {
        body = JSON.parse(text);
      } catch {
        /* not JSON: only the status can be checked */
      }
      if (res.status !== check.expectStatus) {
        result(false, `${check.method} ${check.path} → ${res.status}, expected ${check.expectStatus}: ${text}`);
        continue;
      }
      const field = (k: string) => (body && typeof body === 'object' && Object.hasOwn(body, k) ? body[k] : undefined);
      const wrong = Object.entries(check.expectJson ?? {}).filter(
        ([k, v]) => JSON.stringify(field(k)) !== JSON.stringify(v),
      );
      if (wrong.length > 0) {
        result(
          false,
          `${check.method} ${check.path} → ` +
            `${wrong.map(([k, v]) => `${k}=${JSON.stringify(field(k))}, expected ${JSON.stringify(v)}`).join('; ')}`,
        );
        continue;
      }
      for (const [name, from] of Object.entries(check.capture ?? {})) {
        const value = field(from);
        if (typeof value === 'string' || typeof value === 'number') vars[name] = String(value);
      }
      result(true, `${check.method} ${check.path} → ${res.status}`);
    } catch (e) {
      throwIfCancelled();
      result(false, `${check.method} ${check.path} failed: ${(e as Error).message}`);
    }
  }
  return results;
}

/** Polls the health endpoint until it answers 200 or the deadline passes, backing off up to 2 s. */
export async function waitHealthy(
  url: string,
  timeoutMs: number,
  onPoll?: (attempt: number) => void,
): Promise<{ ok: boolean; afterMs: number; last: string }> {
  const started = Date.now();
  let last = 'no answer yet';
  // Every 100 ms for the first 5 s (a restart inside the write pause is noticed within 0.1 s of
  // being healthy; a local health endpoint costs nothing to ask), then backing off to 2 s.
  for (let attempt = 1, delay = 100; ; attempt++, delay = attempt <= 50 ? 100 : Math.min(delay * 2, 2_000)) {
    onPoll?.(attempt);
    throwIfCancelled();
    try {
      const res = await fetchOnOrigin(new URL(url), { method: 'GET', signal: requestSignal(5_000) });
      last = `${res.status} ${(await res.text()).slice(0, 200)}`;
      if (res.status === 200) return { ok: true, afterMs: Date.now() - started, last };
    } catch (e) {
      throwIfCancelled();
      last = (e as Error).message;
    }
    if (Date.now() - started + delay > timeoutMs) return { ok: false, afterMs: Date.now() - started, last };
    await pause(delay);
  }
}
