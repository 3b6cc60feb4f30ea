import { Context } from '@temporalio/activity';
import { readConfigFile } from '../config/load.js';
import {
  describeIssues,
  deployRequestSchema,
  environmentProblems,
  workerConfigSchema,
  type DeployRequest,
  type TargetConfig,
} from '../config/schema.js';
import { WORKFLOW_TYPE } from '../shared/constants.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import { describeFreeze, readFreeze } from '../shared/freeze.js';
import { run } from '../exec/run.js';
import { COMMAND_ENV_ON_WORKER, type ActivityDeps } from './activityDeps.js';

/** Debian keeps the versioned client tools beside the server (`pg_config --bindir`); else use PATH. */
async function detectPgBinDir(): Promise<string | undefined> {
  try {
    return (await run({ file: 'pg_config', args: ['--bindir'], timeoutMs: 10_000 })).stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The activity's context, or undefined when called outside one (unit tests call the function). */
function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/**
 * A freeze (`safe-deploy freeze`) refuses a deployment here, the first step of every start —
 * CLI, Temporal Schedule or `temporal workflow start` — before anything changes. A dry run changes
 * nothing and still runs; so does `schedule create`'s validation (a validateRequest workflow).
 * An unreachable server is retried like any activity, never read as "not frozen".
 */
async function refuseIfFrozen(request: DeployRequest): Promise<void> {
  const context = activityContext();
  if (request.dryRun || context?.info.workflowType !== WORKFLOW_TYPE) return;
  const freeze = await readFreeze(context.client, request.app, request.environment);
  if (!freeze) return;
  throw deployFailure(FailureType.DeploymentFrozen, {
    step: 'load-config',
    what: `${request.app} ${request.environment} is ${describeFreeze(freeze)}; nothing was changed`,
    remedy:
      `wait for the freeze to end, or end it: safe-deploy unfreeze --app ${request.app} --env ` +
      `${request.environment} --reason "<why>"`,
    retryable: false,
  });
}

export interface LoadedConfig {
  request: DeployRequest;
  target: TargetConfig;
}

/** Validates the request and the worker's config and picks the target. Changes nothing. */
export function createConfigActivities(deps: ActivityDeps) {
  return {
    async loadConfig(rawRequest: unknown): Promise<LoadedConfig> {
      const parsedRequest = deployRequestSchema.safeParse(rawRequest);
      if (!parsedRequest.success) {
        throw deployFailure(FailureType.InvalidRequest, {
          step: 'load-config',
          what: `invalid deployment request: ${describeIssues(parsedRequest.error, 'request')}`,
          remedy: 'fix the named fields of the request and start again; nothing was changed',
          retryable: false,
        });
      }
      const request = parsedRequest.data;
      let raw: unknown;
      try {
        raw = readConfigFile(deps.configPath);
      } catch (e) {
        throw deployFailure(FailureType.InvalidConfig, {
          step: 'load-config',
          what: `cannot read the worker config ${deps.configPath}: ${(e as Error).message}`,
          remedy: 'point SAFE_DEPLOY_CONFIG at a readable JSON or YAML config file on the worker host',
          retryable: false,
        });
      }
      const parsed = workerConfigSchema.safeParse(raw);
      if (!parsed.success) {
        throw deployFailure(FailureType.InvalidConfig, {
          step: 'load-config',
          what: `invalid worker config ${deps.configPath}: ${describeIssues(parsed.error, '')}`,
          remedy: 'fix the named fields in the worker config; nothing was changed',
          retryable: false,
        });
      }
      // Own entries only: an app or environment named `constructor` is not Object.prototype's.
      const app = Object.hasOwn(parsed.data.apps, request.app) ? parsed.data.apps[request.app] : undefined;
      if (!app) {
        throw deployFailure(FailureType.InvalidRequest, {
          step: 'load-config',
          what:
            `request.app: no app '${request.app}' in the worker config (configured: ` +
            `${Object.keys(parsed.data.apps).join(', ') || 'none'})`,
          remedy: 'use a configured app name or add it to the worker config',
          retryable: false,
        });
      }
      const env = Object.hasOwn(app, request.environment) ? app[request.environment] : undefined;
      if (!env) {
        throw deployFailure(FailureType.InvalidRequest, {
          step: 'load-config',
          what:
            `request.environment: app '${request.app}' has no environment '${request.environment}' ` +
            `(configured: ${Object.keys(app).join(', ')})`,
          remedy: 'use a configured environment or add it to the worker config',
          retryable: false,
        });
      }
      const problems = environmentProblems(env);
      if (problems.length > 0) {
        throw deployFailure(FailureType.InvalidConfig, {
          step: 'load-config',
          what:
            `invalid worker config ${deps.configPath}: ` +
            `${problems.map((p) => `apps.${request.app}.${request.environment}.${p.path}: ${p.message}`).join('; ')}`,
          remedy: 'fix the named fields in the worker config; nothing was changed',
          retryable: false,
        });
      }
      await refuseIfFrozen(request);
      const pgBinDir = parsed.data.tools.pgBinDir ?? (await detectPgBinDir());
      // The result is stored in history: commandEnv goes as names, its values stay in this file (commandEnvValues).
      const commandEnv = Object.fromEntries(Object.keys(env.commandEnv).map((name) => [name, COMMAND_ENV_ON_WORKER]));
      return { request, target: { ...env, commandEnv, app: request.app, environment: request.environment, pgBinDir } };
    },
  };
}
