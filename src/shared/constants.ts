/** Defaults users rely on: the workflow type and task queue named in the README and the Temporal CLI examples. */
export const WORKFLOW_TYPE = 'safeDeployment';
export const DEFAULT_TASK_QUEUE = 'safe-deploy';
/** Where the worker looks for its configuration when SAFE_DEPLOY_CONFIG is not set. */
export const DEFAULT_CONFIG_FILE = 'safe-deploy.config.json';
/** The release manifest a release may carry at its root (required env, packages, expectations, checks). */
export const DEFAULT_MANIFEST_FILE = '.safe-deploy.json';
/** The small workflow `schedule create` runs on the worker to check a request before a schedule exists. */
export const VALIDATE_WORKFLOW_TYPE = 'validateRequest';
