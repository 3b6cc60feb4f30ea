#!/usr/bin/env node
import { existsSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection, Worker, type WorkerInterceptors } from '@temporalio/worker';
import { createActivities } from './activities/index.js';
import { defaultConfigPath } from './config/load.js';
import { DEFAULT_TASK_QUEUE } from './shared/constants.js';

/** The workflow bundle's entry: compiled JS beside this file, or the TypeScript source under vitest. */
export function workflowsPath(): string {
  const js = fileURLToPath(new URL('./workflows/index.js', import.meta.url));
  return existsSync(js) ? js : fileURLToPath(new URL('./workflows/index.ts', import.meta.url));
}

/** Where `npm run build` writes the workflow bundle (scripts/bundleWorkflows.ts). */
export const prebuiltBundlePath = () => fileURLToPath(new URL('./workflow-bundle.js', import.meta.url));

/**
 * The bundle `npm run build` made, if it is newer than every compiled file a workflow can import
 * (workflows, plan, shared): a stale bundle would run old workflow code. Else undefined.
 */
export function prebuiltWorkflowBundle(bundle = prebuiltBundlePath()): string | undefined {
  if (!existsSync(bundle)) return undefined;
  const built = statSync(bundle).mtimeMs;
  const src = dirname(bundle);
  const newer = ['workflows', 'plan', 'shared'].some(
    (dir) =>
      existsSync(join(src, dir)) &&
      readdirSync(join(src, dir)).some((f) => f.endsWith('.js') && statSync(join(src, dir, f)).mtimeMs > built),
  );
  return newer ? undefined : bundle;
}

export interface WorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue?: string;
  /** The worker's config file (hosts, commands, checks per app and environment). */
  configPath: string;
  env?: NodeJS.ProcessEnv;
  /** A prebuilt bundle (tests bundle once per run); default: `npm run build`'s, else bundle from workflowsPath(). */
  workflowBundle?: { codePath: string };
  /** Extra interceptors (the fault matrix injects faults with one; production passes none). */
  interceptors?: WorkerInterceptors;
}

export function createWorker(o: WorkerOptions): Promise<Worker> {
  const prebuilt = o.workflowBundle?.codePath ?? prebuiltWorkflowBundle();
  return Worker.create({
    connection: o.connection,
    namespace: o.namespace ?? 'default',
    taskQueue: o.taskQueue ?? DEFAULT_TASK_QUEUE,
    ...(prebuilt ? { workflowBundle: { codePath: prebuilt } } : { workflowsPath: workflowsPath() }),
    activities: createActivities({ configPath: o.configPath, env: o.env ?? process.env }),
    ...(o.interceptors ? { interceptors: o.interceptors } : {}),
    // Cancellation reaches an activity with a heartbeat's answer: a cancel or rollback must reach a
    // running step within seconds (issue 13.5), not 0.8 × heartbeatTimeout.
    maxHeartbeatThrottleInterval: '2 seconds',
    defaultHeartbeatThrottleInterval: '2 seconds',
  });
}

/**
 * The worker process (`safe-deploy worker`, `npm run worker`): connects the Temporal way
 * (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, temporal.toml profiles) and runs until SIGINT/SIGTERM.
 */
export async function runWorker(o: { configPath?: string; taskQueue?: string } = {}): Promise<void> {
  const { connectionOptions, namespace } = loadClientConnectConfig();
  const connection = await NativeConnection.connect(connectionOptions);
  const configPath = o.configPath ? resolve(o.configPath) : defaultConfigPath();
  const taskQueue = o.taskQueue ?? process.env.SAFE_DEPLOY_TASK_QUEUE ?? DEFAULT_TASK_QUEUE;
  const worker = await createWorker({ connection, namespace, taskQueue, configPath });
  console.log(`safe-deploy worker: task queue ${taskQueue}, namespace ${namespace ?? 'default'}, config ${configPath}`);
  try {
    await worker.run(); // stops on SIGINT/SIGTERM after finishing in-flight tasks
  } finally {
    await connection.close();
  }
}

/** Run directly (`node dist/src/worker.js`, also through a symlink such as an npm bin), not imported. */
function runDirectly(): boolean {
  try {
    return !!process.argv[1] && realpathSync(resolve(process.argv[1])) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false; // argv[1] is no file (node -e, a REPL): imported
  }
}

if (runDirectly()) {
  runWorker().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
