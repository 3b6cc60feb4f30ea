/**
 * What a person may choose at a gate beyond "go on": `reset` the drifted database (the runbook's
 * Option B), or resolve a failed migration as `resolve-applied` / `resolve-rolled-back`.
 */
export const DECISION_ACTIONS = ['reset', 'resolve-applied', 'resolve-rolled-back'] as const;
export type DecisionAction = (typeof DECISION_ACTIONS)[number];

/** The actions the open gate offers; whether approving needs one of them. Nothing offered: no action is accepted. */
export interface OfferedActions {
  actions?: readonly DecisionAction[];
  actionRequired?: boolean;
}

/**
 * Checks an approve/reject/rollback payload; returns what is wrong with it, or undefined. An
 * `action` is accepted only when the open gate offers it (reject and rollback offer none); approve
 * without one keeps its plain meaning, unless the gate needs one.
 */
export function decisionProblem(d: unknown, offered: OfferedActions = {}): string | undefined {
  if (!d || typeof d !== 'object') return 'expected {"by": "<who>", "reason": "<why>"}';
  const { by, reason, action, ...rest } = d as Record<string, unknown>;
  const extra = Object.keys(rest);
  const actions = offered.actions ?? [];
  if (extra.length)
    return `unknown field(s): ${extra.join(', ')} (expected by, reason${actions.length ? ', action' : ''})`;
  if (typeof by !== 'string' || by.trim() === '' || by.length > 200)
    return 'by: who decides, a non-empty name (max 200 characters)';
  if (typeof reason !== 'string' || reason.trim() === '' || reason.length > 500)
    return 'reason: why, a non-empty text (max 500 characters)';
  if (action === undefined)
    return offered.actionRequired && actions.length
      ? `action: this gate needs one of ${actions.join(', ')}`
      : undefined;
  if (typeof action !== 'string' || !(DECISION_ACTIONS as readonly string[]).includes(action))
    return `action: one of ${DECISION_ACTIONS.join(', ')}`;
  if (!actions.includes(action as DecisionAction))
    return actions.length
      ? `action: this gate offers ${actions.join(', ')}, not ${action}`
      : `action: nothing offers ${action} here (approve without an action)`;
  return undefined;
}
