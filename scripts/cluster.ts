/**
 * `npm run cluster`: a real Temporal server (not the dev server) on PostgreSQL, as
 * docker-compose.yml describes it, built and run on this machine without Docker.
 *
 *   npm run cluster                                   builds the server the first time (minutes), starts it, prints its address
 *   npm run cluster -- --database-url-env TEMPORAL_DATABASE_URL
 *                                                     Temporal's databases on the PostgreSQL that URL names (its user creates them)
 *   npm run cluster -- --stop                         stops the server and the throwaway PostgreSQL cluster
 *
 * Running it again while the server runs prints the same address. State (ports, pids, the database
 * password file, the server log) lives in .safe-deploy/cluster/, private to this user.
 * Exit codes: 0 running, 1 failed, 2 the server could not be built here (no Go, no module proxy).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startCluster, stopCluster } from './lib/cluster.js';
import { ensureTemporalCli } from './lib/temporalCli.js';
import { ensureTemporalServer, TemporalServerUnavailable } from './lib/temporalServer.js';

const root = fileURLToPath(new URL('../..', import.meta.url)); // dist/scripts/cluster.js → project root
const stateDir = join(root, '.safe-deploy', 'cluster');
const log = (line: string) => console.log(line);

const { values: args } = parseArgs({
  options: { stop: { type: 'boolean', default: false }, 'database-url-env': { type: 'string' } },
});

async function main(): Promise<number> {
  if (args.stop) {
    const stopped = await stopCluster(stateDir);
    if (!stopped) log(`no cluster to stop (nothing in ${stateDir})`);
    else if (stopped.database.pgDataDir) log('stopped the Temporal server and its throwaway PostgreSQL cluster');
    else
      log(`stopped the Temporal server; its databases on ${stopped.database.host}:${stopped.database.port} are kept`);
    return 0;
  }
  const tools = await ensureTemporalServer(root, log);
  const temporalCli = ensureTemporalCli(root, log);
  if (!temporalCli)
    throw new Error(
      'no Temporal CLI (health checks and the namespace set-up use it): run npm run setup, or set TEMPORAL_CLI',
    );
  const cluster = await startCluster({
    projectRoot: root,
    stateDir,
    tools,
    temporalCli,
    databaseUrlEnv: args['database-url-env'],
    log,
  });
  log(
    cluster.reused
      ? `already running (state in ${stateDir})`
      : `namespace ${cluster.namespace} and the Deploy* search attributes registered`,
  );
  log(`stop it with: npm run cluster -- --stop`);
  log(`TEMPORAL_ADDRESS=${cluster.address}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    if (err instanceof TemporalServerUnavailable) {
      console.error(`cluster: the Temporal server could not be built here: ${err.message}`);
      process.exit(2);
    }
    console.error(
      `cluster failed: ${err.message}\n(what started is left for inspection; npm run cluster -- --stop removes it)`,
    );
    process.exit(1);
  },
);
