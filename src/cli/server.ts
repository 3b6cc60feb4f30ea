import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { SEARCH_ATTRIBUTES } from '../shared/searchAttributes.js';
import { CliError, EXIT, type GlobalOptions } from './exit.js';

/** `temporal server start-dev`'s arguments: persisted in `dbFile`, with safe-deploy's search attributes. */
export function devServerArgs(o: {
  ip: string;
  port: number;
  uiPort?: number;
  dbFile: string;
  namespace?: string;
  logLevel?: string;
}): string[] {
  const args = ['server', 'start-dev', '--ip', o.ip, '--port', String(o.port), '--db-filename', o.dbFile];
  if (o.logLevel) args.push('--log-level', o.logLevel);
  if (o.namespace && o.namespace !== 'default') args.push('--namespace', o.namespace);
  if (o.uiPort) args.push('--ui-port', String(o.uiPort), '--ui-ip', o.ip);
  else args.push('--headless');
  for (const sa of SEARCH_ATTRIBUTES) args.push('--search-attribute', sa);
  return args;
}

/** Where the history lives unless --db-file says: the user's data folder, so it outlives reboots and clones. */
export const defaultDbFile = (env: NodeJS.ProcessEnv = process.env) =>
  join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'safe-deploy', 'temporal.db');

const works = (path: string) => spawnSync(path, ['--version'], { stdio: 'ignore', timeout: 30_000 }).status === 0;

/** $TEMPORAL_CLI, `temporal` on PATH, else the one `npm run setup` put in this project's .tools. */
export function findTemporalCli(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  const onPath = (env.PATH ?? '').split(delimiter).map((d) => join(d, 'temporal'));
  const projectTools = [resolve(here, '../..'), resolve(here, '../../..')].map((root) =>
    join(root, '.tools', 'temporal', 'bin', 'temporal'),
  );
  return [env.TEMPORAL_CLI, ...onPath, ...projectTools].find((c): c is string => !!c && existsSync(c) && works(c));
}

const port = z.coerce.number().int().min(1).max(65535);
export const serverOptionsSchema = z.object({
  ip: z.string().min(1).default('127.0.0.1'),
  port: port.default(7233),
  uiPort: port.default(8233),
  headless: z.boolean().default(false),
  dbFile: z.string().min(1).optional(),
});
export type ServerOptions = z.input<typeof serverOptionsSchema>;

/**
 * `safe-deploy server`: the Temporal dev server in the foreground (a systemd unit or a terminal
 * runs it), persisted in a SQLite file and with the Deploy* search attributes, so `list`,
 * `history`, `current` and the Web UI's filters work. One process, no Docker; for a team, a
 * cluster or Temporal Cloud (docs/operating.md).
 */
export async function runServer(g: GlobalOptions, o: ServerOptions): Promise<number> {
  const parsed = serverOptionsSchema.safeParse(o);
  if (!parsed.success)
    throw new CliError(parsed.error.issues.map((i) => `--${String(i.path[0] ?? 'options')}: ${i.message}`).join('; '));
  const { ip, port: frontendPort, uiPort, headless, dbFile = defaultDbFile() } = parsed.data;
  const cli = findTemporalCli();
  if (!cli)
    throw new CliError(
      'no Temporal CLI found: set TEMPORAL_CLI, put `temporal` on PATH ' +
        '(https://docs.temporal.io/cli#install), or run `npm run setup` in a clone of safe-deploy',
      EXIT.failed,
    );
  mkdirSync(dirname(resolve(dbFile)), { recursive: true, mode: 0o700 });
  const args = devServerArgs({
    ip,
    port: frontendPort,
    uiPort: headless ? undefined : uiPort,
    dbFile: resolve(dbFile),
    namespace: g.namespace,
  });
  if (!g.json) {
    console.log(`Temporal dev server on ${ip}:${frontendPort}, history in ${resolve(dbFile)}`);
    if (!headless) console.log(`Web UI: http://${ip}:${uiPort}`);
    console.log(`search attributes: ${SEARCH_ATTRIBUTES.join(', ')}  (Ctrl-C stops it; the history stays)`);
  }
  const child = spawn(cli, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  process.on('SIGINT', forward('SIGINT'));
  process.on('SIGTERM', forward('SIGTERM'));
  return new Promise((done, fail) => {
    child.once('error', fail);
    child.once('exit', (code, signal) => done(code ?? (signal ? 0 : EXIT.failed)));
  });
}
