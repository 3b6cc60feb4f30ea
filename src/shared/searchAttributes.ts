import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';

/**
 * The search attributes a deployment carries, so the Web UI, `temporal workflow list --query` and
 * `safe-deploy list` can filter by them. Registered on the dev server at start (scripts/lib/devServer.ts);
 * on a self-hosted cluster or Temporal Cloud, add them to the namespace once.
 */
export const DEPLOY_APP = defineSearchAttributeKey('DeployApp', SearchAttributeType.KEYWORD);
export const DEPLOY_ENVIRONMENT = defineSearchAttributeKey('DeployEnvironment', SearchAttributeType.KEYWORD);
export const DEPLOY_REF = defineSearchAttributeKey('DeployRef', SearchAttributeType.KEYWORD);
/** Set by the workflow when it ends. */
export const DEPLOY_OUTCOME = defineSearchAttributeKey('DeployOutcome', SearchAttributeType.KEYWORD);

/** What is known when a deployment starts: set by whoever starts it (CLI, schedule). */
export function deploySearchAttributes(r: { app: string; environment: string; ref: string }): SearchAttributePair[] {
  return [
    { key: DEPLOY_APP, value: r.app },
    { key: DEPLOY_ENVIRONMENT, value: r.environment },
    { key: DEPLOY_REF, value: r.ref },
  ];
}
