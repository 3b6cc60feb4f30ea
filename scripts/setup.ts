/** `npm run setup`: installs or finds what safe-deploy's demo and tests need, and says where. */
import { fileURLToPath } from 'node:url';
import { ensureTestTools } from './lib/tools.js';
import { ensureTemporalServer, TemporalServerUnavailable } from './lib/temporalServer.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
try {
  const tools = ensureTestTools(root, (line) => console.log(line));
  console.log(`Temporal CLI: ${tools.temporal}\nPostgreSQL server binaries: ${tools.pgBinDir}`);
  console.log(
    `Time-skipping test server: ${tools.timeSkippingServer ?? 'not installed (the window test lets the SDK download its own)'}`,
  );
  // The cluster tests' server (npm run cluster): built here so that a test run does not wait for it;
  // where it cannot be built, those tests are skipped and say why, and setup still succeeds.
  try {
    const server = await ensureTemporalServer(root, (line) => console.log(line));
    console.log(`Temporal server v${server.version} (npm run cluster, test/cluster): ${server.server}`);
  } catch (err) {
    if (!(err instanceof TemporalServerUnavailable)) throw err;
    console.log(`Temporal server for npm run cluster: not built, test/cluster will be skipped: ${err.message}`);
  }
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
