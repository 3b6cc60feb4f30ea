import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describeIssues, environmentProblems, workerConfigSchema } from '../config/schema.js';
import { isYamlConfig } from '../config/load.js';
import { parseEnvFile } from '../activities/activityDeps.js';
import { AppInspectionError, appSlug, folderName, inspectApp, type AppFacts, type Found } from '../init/inspectApp.js';
import { proposeEnvironment, renderConfigYaml, type ConfigChoices } from '../init/proposeConfig.js';
import { CliError, EXIT, output, type GlobalOptions } from './context.js';

export interface InitOptions {
  config?: string;
  name?: string;
  environment?: string;
  baseUrl?: string;
  envFile?: string;
  backupDir?: string;
  restart?: string[];
  schema?: string;
}

/** Paths a health endpoint usually has, most specific first: `/` last, it is often a whole page. */
export const HEALTH_PATHS = ['/health', '/healthz', '/api/health', '/api/healthz', '/status', '/ping', '/api', '/'];

/**
 * The health path: the first common one the running app answers 2xx on; when nothing answers
 * (the app is not running here), one seen among the source's routes, else `/health` to be added.
 */
export async function chooseHealthPath(baseUrl: string, routes: string[]): Promise<Found<string>> {
  let reachable = false;
  for (const path of HEALTH_PATHS) {
    let status: number;
    try {
      const res = await fetch(new URL(path, baseUrl), { redirect: 'manual', signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      status = res.status;
    } catch {
      if (!reachable) break; // nothing listens: no use asking the other paths
      continue;
    }
    reachable = true;
    if (status >= 200 && status < 300)
      return { value: path, source: `answered ${status} at ${baseUrl} when init probed` };
  }
  const seen = HEALTH_PATHS.find((p) => routes.includes(p));
  const why = reachable
    ? `the app at ${baseUrl} answered none of ${HEALTH_PATHS.join(' ')} with 2xx`
    : `nothing answered at ${baseUrl}: not probed`;
  if (seen) return { value: seen, source: `${why}; the route ${seen} is in the source` };
  return {
    value: '/health',
    source: `CHECK: ${why}, and no health route is in the source: add GET /health to the app`,
  };
}

/** The app's port from its env file, for the base URL. */
function portFromEnvFile(envFile: string | undefined, portEnv: string): string | undefined {
  if (!envFile || !existsSync(envFile)) return undefined;
  try {
    const port = parseEnvFile(readFileSync(envFile, 'utf8'))[portEnv];
    return port && /^\d{1,5}$/.test(port) ? port : undefined;
  } catch {
    return undefined;
  }
}

/** `--restart '["a","b"]'` or `--restart a b`. */
function restartArgv(words: string[]): string[] {
  if (words.length === 1 && words[0]!.trim().startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(words[0]!);
    } catch (e) {
      throw new CliError(`--restart: not a JSON array of strings (${(e as Error).message})`);
    }
    if (!Array.isArray(parsed) || !parsed.length || parsed.some((w) => typeof w !== 'string' || !w))
      throw new CliError('--restart: a JSON array of non-empty strings, e.g. ["systemctl", "restart", "shop"]');
    return parsed as string[];
  }
  return words;
}

export interface InitResult {
  config: string;
  app: string;
  environment: string;
  found: Record<string, { value: unknown; source: string }>;
  /** What init could not know: look at these before the first deployment. */
  check: string[];
}

/** `safe-deploy init [appDir]`: reads the app, writes a commented worker config (never over an existing file). */
export async function runInit(g: GlobalOptions, appDirArg: string | undefined, o: InitOptions): Promise<number> {
  const out = output(g.json);
  let facts: AppFacts;
  try {
    facts = inspectApp(appDirArg ?? '.', { schema: o.schema });
  } catch (e) {
    if (e instanceof AppInspectionError) throw new CliError(`init: ${e.message}; nothing was written`);
    throw e;
  }
  const configPath = resolve(o.config ?? 'safe-deploy.config.yaml');
  if (existsSync(configPath))
    throw new CliError(`init: ${configPath} exists; init never overwrites a file: pass --config <another file>`);

  const app = o.name ?? facts.name?.value ?? appSlug(folderName(facts.appDir));
  if (!app || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(app))
    throw new CliError(`--name: give the app a name of lowercase letters, digits and dashes (max 63)`);
  const environment = o.environment ?? 'production';
  if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(environment))
    throw new CliError(`--environment: lowercase letters, digits and dashes (max 63)`);

  const dotEnv = join(facts.appDir, '.env');
  const envFile: Found<string> | undefined = o.envFile
    ? { value: resolve(o.envFile), source: '--env-file' }
    : existsSync(dotEnv)
      ? { value: dotEnv, source: 'found in appDir: the worker reads the database URL from it, by name' }
      : undefined;
  const port = portFromEnvFile(envFile?.value, facts.portEnv);
  const baseUrl: Found<string> = o.baseUrl
    ? { value: o.baseUrl, source: '--base-url' }
    : port
      ? { value: `http://127.0.0.1:${port}`, source: `${facts.portEnv}=${port} in ${envFile!.value}` }
      : {
          value: 'http://127.0.0.1:3000',
          source: `CHECK: guessed; no ${facts.portEnv} in an env file, pass --base-url`,
        };
  const health = await chooseHealthPath(baseUrl.value, facts.routes);
  const restart: Found<string[]> = o.restart?.length
    ? { value: restartArgv(o.restart), source: 'Given with --restart.' }
    : {
        value: ['systemctl', 'restart', `${app}.service`],
        source: 'CHECK: guessed (init cannot know how this host runs the app); pass --restart <argv...>.',
      };
  const backupDir: Found<string> = o.backupDir
    ? { value: resolve(o.backupDir), source: 'Given with --backup-dir' }
    : { value: `/var/backups/safe-deploy/${app}`, source: 'CHECK: proposed; pass --backup-dir' };
  const choices: ConfigChoices = { app, environment, baseUrl, health, envFile, backupDir, restart };

  const proposed = proposeEnvironment(facts, choices);
  const config = { apps: { [app]: { [environment]: proposed.environment } } };
  // What init writes must load: the same schema and cross-field rules as the worker's loadConfig.
  const parsed = workerConfigSchema.safeParse(config);
  const problems = parsed.success
    ? environmentProblems(parsed.data.apps[app]![environment]!).map((p) => `${p.path}: ${p.message}`)
    : [describeIssues(parsed.error, '')];
  if (problems.length)
    throw new CliError(`init: the proposed config does not validate: ${problems.join('; ')}`, EXIT.failed);

  const header =
    ` safe-deploy worker config for ${app} (${environment}), written by \`safe-deploy init\` from ${facts.appDir}.\n` +
    ' Look at every comment that says CHECK, then: safe-deploy doctor --config <this file>.\n' +
    ' The worker reads it from SAFE_DEPLOY_CONFIG (or ./safe-deploy.config.yaml); every field: src/config/schema.ts.';
  const text = isYamlConfig(configPath)
    ? renderConfigYaml({ app, environment, header }, proposed)
    : JSON.stringify(config, null, 2) + '\n';
  try {
    // wx: created here or not at all (a file that appeared since the check above is not replaced).
    writeFileSync(configPath, text, { flag: 'wx', mode: 0o600 });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(
      code === 'EEXIST'
        ? `init: ${configPath} exists; init never overwrites a file: pass --config <another file>`
        : `init: cannot write ${configPath}: ${(e as Error).message}`,
    );
  }

  const found: InitResult['found'] = {
    appDir: { value: facts.appDir, source: appDirArg ? 'argument' : 'current folder' },
    lockfile: { value: facts.lockfile, source: facts.packageManager },
    schema: facts.schema,
    migrationsDir: {
      value: facts.migrationsDir.value,
      source: `${facts.migrationsDir.source}, ${facts.migrationCount} migrations`,
    },
    databaseUrlEnv: facts.databaseUrlEnv,
    build: facts.build,
    ...(facts.start ? { start: facts.start } : {}),
    baseUrl,
    health,
    restart,
    backupDir,
    ...(envFile ? { envFile } : {}),
  };
  const check = Object.entries(found)
    .filter(([, f]) => f.source.startsWith('CHECK'))
    .map(([k, f]) => `${k}: ${f.source.replace(/^CHECK: /, '')}`);
  if (!facts.migrationCount) check.push(`migrationsDir: ${facts.migrationsDir.value} holds no migration yet`);
  const result: InitResult = { config: configPath, app, environment, found, check };
  out.json(result);
  out.line(`wrote ${configPath} (app ${app}, environment ${environment})`);
  for (const [k, f] of Object.entries(found))
    out.line(`  ${k}: ${Array.isArray(f.value) ? JSON.stringify(f.value) : String(f.value)} — ${f.source}`);
  for (const c of check) out.line(`check: ${c}`);
  out.line(`next: safe-deploy doctor --config ${configPath}`);
  return EXIT.ok;
}
