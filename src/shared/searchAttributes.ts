import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';

/**
 * The search attributes a deployment carries, so the Web UI, `temporal workflow list --query` and
 * `safe-deploy list` can filter by them. Registered on the dev server at start (`safe-deploy server`,
 * scripts/lib/devServer.ts); on any other server once, by `safe-deploy namespace setup`.
 */
export const DEPLOY_APP = defineSearchAttributeKey('DeployApp', SearchAttributeType.KEYWORD);
export const DEPLOY_ENVIRONMENT = defineSearchAttributeKey('DeployEnvironment', SearchAttributeType.KEYWORD);
export const DEPLOY_REF = defineSearchAttributeKey('DeployRef', SearchAttributeType.KEYWORD);
/** Set by the workflow when it ends. */
export const DEPLOY_OUTCOME = defineSearchAttributeKey('DeployOutcome', SearchAttributeType.KEYWORD);

/** Every attribute safe-deploy sets, as `temporal … --search-attribute` writes them (`DeployApp=Keyword`). */
export const DEPLOY_SEARCH_ATTRIBUTE_KEYS = [DEPLOY_APP, DEPLOY_ENVIRONMENT, DEPLOY_REF, DEPLOY_OUTCOME] as const;
export const SEARCH_ATTRIBUTES: readonly string[] = DEPLOY_SEARCH_ATTRIBUTE_KEYS.map((k) => `${k.name}=Keyword`);

/** What is known when a deployment starts: set by whoever starts it (CLI, schedule). */
export function deploySearchAttributes(r: { app: string; environment: string; ref: string }): SearchAttributePair[] {
  return [
    { key: DEPLOY_APP, value: r.app },
    { key: DEPLOY_ENVIRONMENT, value: r.environment },
    { key: DEPLOY_REF, value: r.ref },
  ];
}
