import { ApplicationFailure } from '@temporalio/workflow';
import type { DeployRequestInput } from '../config/schema.js';
import { call, quick, THIS_WORKER } from './activities.js';
import { applicationFailureOf } from './failures.js';

/** What the worker(s) confirmed: the request is valid and they have the app and environment. */
export interface ValidatedRequest {
  app: string;
  environment: string;
  ref: string;
  /** The hosts whose workers validated their own configuration ("local": the one worker). */
  hosts: string[];
}

/**
 * Asks the worker whether it can deploy this request, changing nothing: the `loadConfig` activity
 * that opens every deployment (the request and the worker's config valid, the app and the
 * environment configured), on each host's worker as a deployment would. `schedule create` runs it
 * first, so that a schedule no worker can serve is refused when it is created, not at every run.
 * Its own small workflow: safeDeployment's steps are untouched.
 */
export async function validateRequest(input: DeployRequestInput): Promise<ValidatedRequest> {
  const summary = 'Validate the request and the worker configuration';
  try {
    const { request, target } = await call(THIS_WORKER, quick.loadConfig, summary, input);
    const hosts = target.hosts ?? [];
    for (const host of hosts) {
      await call(host, quick.loadConfig, `Validate ${host.name}'s configuration`, input);
    }
    return {
      app: request.app,
      environment: request.environment,
      ref: request.ref,
      hosts: hosts.length ? hosts.map((host) => host.name) : ['local'],
    };
  } catch (err) {
    // The worker's answer (InvalidRequest, InvalidConfig), not wrapped in an activity failure.
    const cause = applicationFailureOf(err);
    throw cause
      ? ApplicationFailure.create({ type: cause.type ?? undefined, message: cause.message, nonRetryable: true })
      : err;
  }
}
