/** `npm run setup`: installs or finds what safe-deploy's demo and tests need, and says where. */
import { fileURLToPath } from 'node:url';
import { ensureTestTools } from './lib/tools.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
try {
  const tools = ensureTestTools(root, (line) => console.log(line));
  console.log(`Temporal CLI: ${tools.temporal}\nPostgreSQL server binaries: ${tools.pgBinDir}`);
  console.log(`Time-skipping test server: ${tools.timeSkippingServer ?? 'not installed (the window test lets the SDK download its own)'}`);
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
