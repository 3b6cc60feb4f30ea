/**
 * The fault matrix's worker process: safe-deploy's own worker (createWorker, the real
 * activities and workflow bundle) plus the fault interceptor. The runner starts it, SIGKILLs it
 * for kill-worker cases and starts a fresh one.
 *
 * env: TEMPORAL_ADDRESS, SAFE_DEPLOY_CONFIG, SAFE_DEPLOY_TASK_QUEUE, SAFE_DEPLOY_WORKFLOW_BUNDLE,
 *      SAFE_DEPLOY_FAULT_PLAN (see plan.ts)
 */
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { createWorker } from '../../src/worker.js';
import { faultInterceptors } from './interceptor.js';
import { FAULT_PLAN_ENV } from './plan.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`the fault worker needs ${name}`);
  return value;
}

async function main(): Promise<void> {
  // INFO, as a production worker logs by default: the lab scans these logs for secrets.
  Runtime.install({ logger: new DefaultLogger('INFO') });
  const connection = await NativeConnection.connect({ address: required('TEMPORAL_ADDRESS') });
  const worker = await createWorker({
    connection,
    taskQueue: required('SAFE_DEPLOY_TASK_QUEUE'),
    configPath: required('SAFE_DEPLOY_CONFIG'),
    workflowBundle: { codePath: required('SAFE_DEPLOY_WORKFLOW_BUNDLE') },
    interceptors: { activity: [faultInterceptors(required(FAULT_PLAN_ENV))] },
  });
  console.log(`fault worker ${process.pid}: ready`);
  try {
    await worker.run();
  } finally {
    await connection.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
