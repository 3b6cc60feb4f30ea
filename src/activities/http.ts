import type { HttpCheck } from '../config/schema.js';
import { redact } from '../exec/redact.js';

export interface CheckResult {
  name: string;
  kind: 'code' | 'dependencies' | 'health' | 'http' | 'schema' | 'migrations' | 'data';
  ok: boolean;
  detail: string;
  durationMs: number;
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** Replaces `{{name}}` in every string of a JSON value. */
export function fillTemplate<T>(value: T, vars: Record<string, string>): T {
  if (typeof value === 'string') return value.replace(/\{\{(\w+)\}\}/g, (m, k: string) => vars[k] ?? m) as T;
  if (Array.isArray(value)) return value.map((v) => fillTemplate(v, vars)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillTemplate(v, vars)])) as T;
  return value;
}

const short = (text: string, secrets: readonly string[]) => redact(text, secrets).slice(0, 300);

/**
 * Runs checks in order against the live app. Later checks may use values captured by earlier
 * ones (a login token), and `{{runId}}` so that a registration never collides with a previous run.
 */
export async function runHttpChecks(baseUrl: string, checks: HttpCheck[], runId: string, secrets: readonly string[] = [], extraHeaders: Record<string, string> = {}): Promise<CheckResult[]> {
  const vars: Record<string, string> = { runId };
  const results: CheckResult[] = [];
  for (const raw of checks) {
    const check = fillTemplate(raw, vars);
    const started = Date.now();
    const result = (ok: boolean, detail: string) => results.push({ name: check.name, kind: 'http', ok, detail: short(detail, secrets), durationMs: Date.now() - started });
    try {
      const headers: Record<string, string> = { accept: 'application/json', ...extraHeaders };
      if (check.body !== undefined) headers['content-type'] = 'application/json';
      if (check.bearer) headers.authorization = `Bearer ${check.bearer}`;
      const res = await fetch(new URL(check.path, baseUrl), {
        method: check.method, headers,
        body: check.body === undefined ? undefined : JSON.stringify(check.body),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      let body: Record<string, Json> = {};
      try { body = JSON.parse(text); } catch { /* not JSON: only the status can be checked */ }
      if (res.status !== check.expectStatus) { result(false, `${check.method} ${check.path} → ${res.status}, expected ${check.expectStatus}: ${text}`); continue; }
      const wrong = Object.entries(check.expectJson ?? {}).filter(([k, v]) => JSON.stringify(body[k]) !== JSON.stringify(v));
      if (wrong.length > 0) { result(false, `${check.method} ${check.path} → ${wrong.map(([k, v]) => `${k}=${JSON.stringify(body[k])}, expected ${JSON.stringify(v)}`).join('; ')}`); continue; }
      for (const [name, field] of Object.entries(check.capture ?? {})) {
        if (typeof body[field] === 'string' || typeof body[field] === 'number') vars[name] = String(body[field]);
      }
      result(true, `${check.method} ${check.path} → ${res.status}`);
    } catch (e) {
      result(false, `${check.method} ${check.path} failed: ${(e as Error).message}`);
    }
  }
  return results;
}

/** Polls the health endpoint until it answers 200 or the deadline passes, backing off up to 2 s. */
export async function waitHealthy(url: string, timeoutMs: number, onPoll?: (attempt: number) => void): Promise<{ ok: boolean; afterMs: number; last: string }> {
  const started = Date.now();
  let last = 'no answer yet';
  for (let attempt = 1, delay = 250; ; attempt++, delay = Math.min(delay * 2, 2_000)) {
    onPoll?.(attempt);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      last = `${res.status} ${(await res.text()).slice(0, 200)}`;
      if (res.status === 200) return { ok: true, afterMs: Date.now() - started, last };
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() - started + delay > timeoutMs) return { ok: false, afterMs: Date.now() - started, last };
    await new Promise((r) => setTimeout(r, delay));
  }
}
