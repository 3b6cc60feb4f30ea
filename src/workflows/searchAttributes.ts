import { upsertSearchAttributes } from '@temporalio/workflow';
import { DEPLOY_APP, DEPLOY_ENVIRONMENT, DEPLOY_OUTCOME, DEPLOY_REF } from '../shared/searchAttributes.js';

const KEYS = { app: DEPLOY_APP, environment: DEPLOY_ENVIRONMENT, ref: DEPLOY_REF, outcome: DEPLOY_OUTCOME };

/** Sets those of `values` that the namespace has registered; the others are left out, silently. */
export function setDeploySearchAttributes(
  registered: readonly string[],
  values: Partial<Record<keyof typeof KEYS, string>>,
): void {
  const updates = Object.entries(values)
    .map(([k, value]) => ({ key: KEYS[k as keyof typeof KEYS], value }))
    .filter(({ key, value }) => value !== undefined && registered.includes(key.name));
  if (updates.length) upsertSearchAttributes(updates as never);
}
