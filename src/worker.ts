#!/usr/bin/env node
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
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

/** The compiled folders a workflow can import: a change in any of them makes the bundle stale. */
const BUNDLED_DIRS = ['workflows', 'plan', 'shared'];

/**
 * sha256 of every compiled file a workflow can import (workflows, plan, shared, with subfolders),
 * by path and content: what the bundle was built from. Content, not mtimes: npm gives an installed
 * package's files the time they were extracted, in the tarball's order.
 */
export function bundleSourcesDigest(distSrc: string): string {
  const hash = createHash('sha256');
  for (const dir of BUNDLED_DIRS) {
    if (!existsSync(join(distSrc, dir))) continue;
    const files = readdirSync(join(distSrc, dir), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.js'))
      .sort();
    for (const f of files)
      hash
        .update(`${dir}/${f}\0`)
        .update(readFileSync(join(distSrc, dir, f)))
        .update('\0');
  }
  return hash.digest('hex');
}

/** Beside the bundle: the digest of the sources it was built from (scripts/bundleWorkflows.ts writes it). */
const stampOf = (bundle: string) => `${bundle}.sources.sha256`;

export function stampWorkflowBundle(bundle = prebuiltBundlePath()): void {
  writeFileSync(stampOf(bundle), `${bundleSourcesDigest(dirname(bundle))}\n`);
}

/**
 * The bundle `npm run build` made, if it was built from exactly the compiled files a workflow can
 * import now (its stamp matches): a stale bundle would run old workflow code. Else undefined.
 */
export function prebuiltWorkflowBundle(bundle = prebuiltBundlePath()): string | undefined {
  if (!existsSync(bundle) || !existsSync(stampOf(bundle))) return undefined;
  const stamp = readFileSync(stampOf(bundle), 'utf8').trim();
  return stamp === bundleSourcesDigest(dirname(bundle)) ? bundle : undefined;
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
