import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowsPath } from '../../src/worker.js';

/** The workflow bundle, built once per run in a temp folder for every worker a test starts (global setups). */
export async function writeWorkflowBundle(): Promise<{ path: string; remove(): void }> {
  const scratch = mkdtempSync(join(tmpdir(), 'safe-deploy-bundle-'));
  const path = join(scratch, 'workflows.js');
  const { code } = await bundleWorkflowCode({
    workflowsPath: workflowsPath(),
    logger: { info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} } as never,
  });
  writeFileSync(path, code);
  return { path, remove: () => rmSync(scratch, { recursive: true, force: true }) };
}
