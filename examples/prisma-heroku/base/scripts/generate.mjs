// `npm run build`: generates the Prisma client without network access.
// engineType "client" never loads the native query engine, yet `prisma generate` still tries to
// download it unless PRISMA_QUERY_ENGINE_LIBRARY names an existing file; any file will do.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const env = {
  ...process.env,
  PRISMA_QUERY_ENGINE_LIBRARY: process.env.PRISMA_QUERY_ENGINE_LIBRARY || join(root, 'package.json'),
  CHECKPOINT_DISABLE: '1', // no update/telemetry check against checkpoint.prisma.io
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
};
const cli = join(root, 'node_modules', 'prisma', 'build', 'index.js');
const result = spawnSync(process.execPath, [cli, 'generate'], { cwd: root, env, stdio: 'inherit' });
if (result.error) console.error(`prisma generate could not run: ${result.error.message}`);
process.exit(result.status ?? 1);
