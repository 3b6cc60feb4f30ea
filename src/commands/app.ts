import type { Cmd } from '../exec/run.js';

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
    database?: { envName: string; url: string; password: string };
  },
): Cmd {
  const [file, ...args] = argv;
  const env: Record<string, string> = { ...o.commandEnv };
  const secrets: string[] = [];
  if (o.database) {
    env[o.database.envName] = o.database.url;
    secrets.push(o.database.url, o.database.password);
  }
  return { file: file!, args, cwd: o.cwd, env, secrets, timeoutMs: o.timeoutMs };
}
