import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { TestProject } from 'vitest/node';
import { SEARCH_ATTRIBUTES } from '../scripts/lib/devServer.js';
import { startPgCluster } from '../scripts/lib/pgCluster.js';
import { ensureTemporalCli } from '../scripts/lib/temporalCli.js';
import { writeWorkflowBundle } from './helpers/workflowBundle.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    workflowBundlePath: string;
    pg: { host: string; port: number; superuserUrl: string; binDir: string };
  }
}

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * Starts what the whole run shares, once, on free ports: a Temporal dev server (the project's
 * CLI through @temporalio/testing's existing-path; the SDK's own download when none can be had),
 * a throwaway PostgreSQL cluster, and the workflow bundle.
 */
export default async function setup(project: TestProject) {
  const cli = ensureTemporalCli(root, (line) => console.log(`[setup] ${line}`));
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      ip: '127.0.0.1',
      ...(cli ? { executable: { type: 'existing-path', path: cli } } : {}),
      // The Deploy* search attributes, as the demo's dev server has them: `list` and schedules use them.
      extraArgs: ['--log-level', 'error', ...SEARCH_ATTRIBUTES.flatMap((sa) => ['--search-attribute', sa])],
    },
  });
  const cluster = await startPgCluster();
  const bundle = await writeWorkflowBundle();

  project.provide('temporalAddress', env.address);
  project.provide('workflowBundlePath', bundle.path);
  project.provide('pg', {
    host: cluster.host,
    port: cluster.port,
    superuserUrl: cluster.url('postgres'),
    binDir: cluster.binDir,
  });

  return async () => {
    await env.teardown();
    await cluster.stop();
    bundle.remove();
  };
}
