import type { Cmd } from '../exec/run.js';
import { WRITABLE_SESSION_OPTIONS } from './pg.js';

/**
 * The app's own commands (npm ci, its build, its Prisma CLI, its restart command) come from the
 * worker's config as argument arrays; they run in the app's directory with the config's
 * non-secret `commandEnv`, plus the database URL under the app's own variable name when needed.
 */
export function appCommand(
  argv: readonly string[],
  o: {
    cwd: string;
    commandEnv: Record<string, string>;
    timeoutMs?: number;
    /** `writable`: the command's own sessions start writable while the app's role is paused read-only (PGOPTIONS). */
    database?: { envName: string; url: string; password: string; writable?: boolean };
  },
): Cmd {
  const [file, ...args] = argv;
  const env: Record<string, string> = { ...o.commandEnv };
  const secrets: string[] = [];
  if (o.database) {
    env[o.database.envName] = o.database.url;
    if (o.database.writable) env.PGOPTIONS = WRITABLE_SESSION_OPTIONS;
    secrets.push(o.database.url, o.database.password);
  }
  return { file: file!, args, cwd: o.cwd, env, secrets, timeoutMs: o.timeoutMs };
}
