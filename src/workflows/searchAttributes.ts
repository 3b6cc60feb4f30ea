import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { upsertSearchAttributes } from '@temporalio/workflow';

/** The custom search attributes a deployment sets, so the Web UI and `list` can filter by them. */
export const DEPLOY_SEARCH_ATTRIBUTES = {
  app: defineSearchAttributeKey('DeployApp', SearchAttributeType.KEYWORD),
  environment: defineSearchAttributeKey('DeployEnvironment', SearchAttributeType.KEYWORD),
  ref: defineSearchAttributeKey('DeployRef', SearchAttributeType.KEYWORD),
  outcome: defineSearchAttributeKey('DeployOutcome', SearchAttributeType.KEYWORD),
};

/** Sets those of `values` that the namespace has registered; the others are left out, silently. */
export function setDeploySearchAttributes(registered: readonly string[], values: Partial<Record<keyof typeof DEPLOY_SEARCH_ATTRIBUTES, string>>): void {
  const updates = Object.entries(values)
    .map(([k, value]) => ({ key: DEPLOY_SEARCH_ATTRIBUTES[k as keyof typeof DEPLOY_SEARCH_ATTRIBUTES], value }))
    .filter(({ key, value }) => value !== undefined && registered.includes(key.name));
  if (updates.length) upsertSearchAttributes(updates as never);
}
