/** Checks an approve/reject/rollback payload; returns what is wrong with it, or undefined. */
export function decisionProblem(d: unknown): string | undefined {
  if (!d || typeof d !== 'object') return 'expected {"by": "<who>", "reason": "<why>"}';
  const { by, reason, ...rest } = d as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length) return `unknown field(s): ${extra.join(', ')} (expected by, reason)`;
  if (typeof by !== 'string' || by.trim() === '' || by.length > 200) return 'by: who decides, a non-empty name (max 200 characters)';
  if (typeof reason !== 'string' || reason.trim() === '' || reason.length > 500) return 'reason: why, a non-empty text (max 500 characters)';
  return undefined;
}
