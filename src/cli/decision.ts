import { z } from 'zod';
import { DECISION_ACTIONS } from '../plan/decision.js';
import type { Decision } from '../workflows/messages.js';
import { parseOptions } from './context.js';

/** `--reason` and `--by` (default $USER): kept in the workflow history, the audit log. */
export const decisionOptionsSchema = z.object({
  reason: z.string().trim().min(1, 'say why (kept in the workflow history)').max(500),
  by: z.string().trim().min(1, 'who decides: pass --by <name> or set USER').max(200),
  /** `approve` only: one of the actions the gate offers (the workflow refuses any other). */
  action: z.enum(DECISION_ACTIONS, `one of ${DECISION_ACTIONS.join(', ')}`).optional(),
});
export interface DecisionOptions {
  reason?: string;
  by?: string;
  action?: string;
}

export function decisionFrom(o: DecisionOptions, env: NodeJS.ProcessEnv = process.env): Decision {
  const d = parseOptions(decisionOptionsSchema, {
    reason: o.reason ?? '',
    by: o.by ?? env.USER ?? '',
    action: o.action,
  });
  return d.action ? d : { reason: d.reason, by: d.by };
}
