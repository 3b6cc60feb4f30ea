import type { TestProject } from 'vitest/node';
import { writeWorkflowBundle } from './helpers/workflowBundle.js';

/**
 * The workflow project's one shared thing: the workflow bundle, built once per run. Each file
 * starts the time-skipping test server it needs (a server's clock is shared by all its workflows).
 */
export default async function setup(project: TestProject) {
  const bundle = await writeWorkflowBundle();
  project.provide('workflowBundlePath', bundle.path);
  return () => bundle.remove();
}
