import { z } from 'zod';
import type { Decision } from '../workflows/messages.js';
import { parseOptions } from './context.js';

/** `--reason` and `--by` (default $USER): kept in the workflow history, the audit log. */
export const decisionOptionsSchema = z.object({
  reason: z.string().trim().min(1, 'say why (kept in the workflow history)').max(500),
  by: z.string().trim().min(1, 'who decides: pass --by <name> or set USER').max(200),
});
export interface DecisionOptions { reason?: string; by?: string }

export function decisionFrom(o: DecisionOptions, env: NodeJS.ProcessEnv = process.env): Decision {
  return parseOptions(decisionOptionsSchema, { reason: o.reason ?? '', by: o.by ?? env.USER ?? '' });
}
