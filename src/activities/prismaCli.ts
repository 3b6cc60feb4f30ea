import { readFile, realpath, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, relative, sep } from 'node:path';
import { appCommand } from '../commands/app.js';
import { npxPrismaArgs, prismaBinOf, resolvePrismaArgv, type InstalledPrisma } from '../commands/prisma.js';
import { baseEnv, display, type Cmd, type RunResult } from '../exec/run.js';
import { activityLog, runInActivity } from './activityDeps.js';

/** `inner` is below `outer` (both real paths). */
const below = (outer: string, inner: string) => {
  const r = relative(outer, inner);
  return r !== '' && !isAbsolute(r) && r.split(sep)[0] !== '..';
};

/**
 * The app's own Prisma CLI in `dir`: `node_modules/prisma`'s package.json names its bin, and that
 * file really is inside `dir/node_modules` (a symlinked node_modules counts as the app's, and so
 * does pnpm's `node_modules/.pnpm/…`; a `node_modules/prisma` linked to elsewhere does not).
 * Nothing is found when anything is missing or unreadable: the command then runs as configured.
 */
export async function installedPrisma(dir: string): Promise<InstalledPrisma> {
  const modules = join(dir, 'node_modules');
  const pkgDir = join(modules, 'prisma');
  try {
    const bin = prismaBinOf(JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8')));
    if (!bin) return {};
    const entry = join(pkgDir, bin);
    const [root, real] = await Promise.all([realpath(modules), realpath(entry)]);
    return below(root, real) && (await stat(real)).isFile() ? { entry } : {};
  } catch {
    return {};
  }
}

/** A Prisma command, and whether it starts the app's own CLI directly or the argv as configured. */
export interface PrismaCmd extends Cmd {
  started: 'directly' | 'as configured';
}

/**
 * One of the app's Prisma commands (`commands.migrateDeploy`, `migrateStatus`, `migrateReset`,
 * `migrateResolve`), in `o.cwd`: the config's npx form starts the app's own CLI found there
 * directly, with this worker's Node, and the app's `node_modules/.bin` first on PATH as npx puts
 * it (Prisma starts generators by name; npx also adds every parent folder's, which are not the
 * app's); any other argv, or no Prisma installed there, runs as configured.
 */
export async function prismaCommand(argv: readonly string[], o: Parameters<typeof appCommand>[1]): Promise<PrismaCmd> {
  const installed = npxPrismaArgs(argv) ? await installedPrisma(o.cwd) : {};
  const resolved = resolvePrismaArgv(argv, installed, process.execPath);
  const cmd = appCommand(resolved, o);
  if (resolved === argv) return { ...cmd, started: 'as configured' };
  const path = cmd.env?.PATH ?? baseEnv().PATH;
  return {
    ...cmd,
    env: { ...cmd.env, PATH: [join(o.cwd, 'node_modules', '.bin'), ...(path ? [path] : [])].join(delimiter) },
    started: 'directly',
  };
}

/**
 * Starts a Prisma command in the activity, and says so in the worker's log: which CLI (the app's
 * own started directly, or the argv as configured) and the command line, redacted. One line per
 * start, so the log counts them.
 */
export function runPrisma(cmd: PrismaCmd, phase: string): Promise<RunResult> {
  activityLog(`starting the app's Prisma CLI: ${phase}`, { phase, started: cmd.started, command: display(cmd) });
  return runInActivity(cmd, phase);
}
