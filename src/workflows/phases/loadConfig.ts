import type { DeployRequestInput } from '../../config/schema.js';
import { quick, THIS_WORKER } from '../activities.js';
import { asInputFailure } from '../failures.js';
import type { Host } from '../hosts.js';
import type { ActivityStep } from '../steps.js';

/**
 * The request and the worker's configuration, validated by the worker; with several hosts, each
 * host's worker validates its own configuration of this app+environment. A bad one fails the
 * workflow itself, naming the field.
 */
export async function loadConfig(step: ActivityStep, input: DeployRequestInput) {
  const summary = 'Validate the request and the worker configuration';
  const { request, target } = await step(THIS_WORKER, 'load-config', summary, quick.loadConfig, input).catch((err) => {
    throw asInputFailure(err);
  });
  const hosts: Host[] = [];
  for (const host of target.hosts ?? [{ name: 'local', taskQueue: undefined }]) {
    const own =
      host.taskQueue === undefined
        ? target
        : (
            await step(host, 'load-config', `Validate ${host.name}'s configuration`, quick.loadConfig, input).catch(
              (err) => {
                throw asInputFailure(err);
              },
            )
          ).target;
    hosts.push({ name: host.name, taskQueue: host.taskQueue, target: own });
  }
  return { request, target, hosts };
}
