import { Buffer } from 'node:buffer';
import type { WorkflowHandle } from '@temporalio/client';

/** Payloads arrive as bytes: decoded, so that a secret inside an input or a result is found. */
function decodeBytes(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (Array.isArray(value)) return value.map(decodeBytes);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeBytes(v)]));
  return value;
}

/** The full event history as text, payloads decoded: the place secrets must never reach. */
export async function historyText(handle: WorkflowHandle): Promise<string> {
  return JSON.stringify(decodeBytes(await handle.fetchHistory()));
}

/**
 * Whether `value` occurs in `text`. A value of digits only (SATSHOT_MCP_PORT 8931) counts only as a
 * number of its own and not as a measurement: inside a longer number (an event time's nanoseconds)
 * or as a duration or size (`"durationMs":8931`, `healthy after 8931 ms`) or a process id in a
 * client's identity (`8931@host`, as the cancel request's identity is now in the report) it is a
 * coincidence.
 */
export function containsValue(text: string, value: string): boolean {
  if (!/^\d+$/.test(value)) return text.includes(value);
  return new RegExp(`(?<![\\d.])(?<!(?:Ms|ms|Bytes|bytes)\\\\?"\\s*:\\s*)${value}(?![\\d.@]| ?ms\\b| bytes)`).test(
    text,
  );
}

/** The names (never the values) of the secrets found in `text`. */
export function leakedSecrets(text: string, secrets: Record<string, string>): string[] {
  return Object.entries(secrets)
    .filter(([, value]) => containsValue(text, value))
    .map(([name]) => name);
}
