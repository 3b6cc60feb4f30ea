/** `npm run setup`: installs or finds what safe-deploy's demo and tests need, and says where. */
import { fileURLToPath } from 'node:url';
import { ensureTools } from './lib/tools.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
try {
  const tools = ensureTools(root, (line) => console.log(line));
  console.log(`Temporal CLI: ${tools.temporal}\nPostgreSQL server binaries: ${tools.pgBinDir}`);
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
