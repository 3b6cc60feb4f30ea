import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { startCluster, stopCluster } from '../../scripts/lib/cluster.js';
import { startPgCluster } from '../../scripts/lib/pgCluster.js';
import { ensureTemporalCli } from '../../scripts/lib/temporalCli.js';
import {
  ensureTemporalServer,
  TemporalServerUnavailable,
  type TemporalServerTools,
} from '../../scripts/lib/temporalServer.js';
import { writeWorkflowBundle } from '../helpers/workflowBundle.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Why test/cluster cannot run here (no Go, no module proxy); empty when the cluster runs. */
    clusterSkipReason: string;
    /** What restarts the server mid-deployment (killServer, then startServer on the same state folder). */
    clusterServer: { stateDir: string; tools: TemporalServerTools; temporalCli: string };
  }
}

const root = fileURLToPath(new URL('../..', import.meta.url));
const log = (line: string) => console.log(`[cluster] ${line}`);

/**
 * The `cluster` project's run: the Temporal server `npm run cluster` starts (the same library,
 * in a temp state folder of its own, so a developer's running cluster is left alone), a
 * PostgreSQL cluster for the sample apps, and the workflow bundle — provided under the names the
 * dev-server project uses, so the scenario helpers run unchanged. Where the server cannot be
 * built, provides the reason and starts nothing: the tests skip and say why.
 */
export default async function setup(project: TestProject) {
  let tools;
  try {
    tools = await ensureTemporalServer(root, log);
  } catch (err) {
    if (!(err instanceof TemporalServerUnavailable)) throw err;
    log(`test/cluster is skipped: ${err.message}`);
    project.provide('clusterSkipReason', err.message);
    return;
  }
  const temporalCli = ensureTemporalCli(root, log);
  if (!temporalCli) throw new Error('no Temporal CLI: run npm run setup, or set TEMPORAL_CLI');
  const stateDir = mkdtempSync(join(tmpdir(), 'safe-deploy-cluster-'));
  const cluster = await startCluster({ projectRoot: root, stateDir, tools, temporalCli, log }).catch(
    async (err: unknown) => {
      await stopCluster(stateDir);
      throw err;
    },
  );
  const apps = await startPgCluster();
  const bundle = await writeWorkflowBundle();

  project.provide('clusterSkipReason', '');
  project.provide('clusterServer', { stateDir, tools, temporalCli });
  project.provide('temporalAddress', cluster.address);
  project.provide('workflowBundlePath', bundle.path);
  project.provide('pg', { host: apps.host, port: apps.port, superuserUrl: apps.url('postgres'), binDir: apps.binDir });

  return async () => {
    await stopCluster(stateDir);
    await apps.stop();
    bundle.remove();
  };
}
