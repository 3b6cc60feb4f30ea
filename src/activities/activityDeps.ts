import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Context } from '@temporalio/activity';
import { durationMs, type Duration } from '../shared/duration.js';
import { parseDatabaseUrl, type DbTarget } from '../commands/pg.js';
import { readConfigFile } from '../config/load.js';
import { describeIssues, workerConfigSchema, type TargetConfig } from '../config/schema.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import { MAX_IDENTIFIER_BYTES } from '../postgres/ownDatabases.js';
import type { StepName } from '../shared/steps.js';
import { run, type Cmd, type RunHooks, type RunResult } from '../exec/run.js';
import { DEFAULT_SESSION_LIMITS } from '../postgres/pgClient.js';

/** What activities need from the host; injected so tests can point them at throwaway resources. */
export interface ActivityDeps {
  /** Path of the worker's config file (JSON, or YAML for .yaml/.yml). */
  configPath: string;
  /** The worker's environment: where secrets are looked up BY NAME, inside activities only. */
  env: NodeJS.ProcessEnv;
}

/**
 * Parses a KEY=VALUE env file (systemd EnvironmentFile / dotenv style,
 * no expansion). No prototype: a key is only what the file says.
 */
export function parseEnvFile(text: string): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line
      .slice(0, eq)
      .replace(/^export\s+/, '')
      .trim();
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0])
      value = value.slice(1, -1);
    out[key] = value;
  }
  return out;
}

export function readEnvFile(path: string | undefined): Record<string, string> {
  if (!path) return {};
  try {
    return parseEnvFile(readFileSync(path, 'utf8'));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return {}; // no file: nothing declared there
    throw e;
  }
}

/**
 * Where a variable is found: the app's own env file first (it is what the app runs with, and a
 * worker serving several apps may hold a same-named variable for another), then the worker's env.
 */
export function lookupEnv(
  deps: ActivityDeps,
  envFile: string | undefined,
  name: string,
): { value: string; source: 'worker' | 'env-file' } | undefined {
  // Own entries only: a variable named `constructor` or `toString` is not Object.prototype's.
  const file = readEnvFile(envFile);
  const fromFile = Object.hasOwn(file, name) ? file[name] : undefined;
  if (typeof fromFile === 'string' && fromFile !== '') return { value: fromFile, source: 'env-file' };
  const own = Object.hasOwn(deps.env, name) ? deps.env[name] : undefined;
  if (typeof own === 'string' && own !== '') return { value: own, source: 'worker' };
  return undefined;
}

/** Resolves the database URL from the NAME in config. The value never leaves the activity. */
export function resolveDatabase(
  deps: ActivityDeps,
  t: {
    database: { urlEnv: string; lockTimeout?: string | number; statementTimeout?: string | number };
    envFile?: string;
    writes?: { stopAt?: 'app' | 'database' };
  },
  step: StepName,
): { url: string; db: DbTarget } {
  const found = lookupEnv(deps, t.envFile, t.database.urlEnv);
  if (!found) {
    throw deployFailure(FailureType.EnvironmentIncomplete, {
      step,
      what:
        `the database URL variable ${t.database.urlEnv} is not set${t.envFile ? ` in ${t.envFile} nor` : ''} ` +
        `in the worker's environment`,
      remedy: `set ${t.database.urlEnv} for the worker (or in the app's env file) and start again`,
      retryable: false,
    });
  }
  let db: DbTarget;
  try {
    db = {
      ...parseDatabaseUrl(found.value),
      session: sessionLimits(t.database),
      ...(t.writes?.stopAt === 'database' ? { writable: true } : {}),
    };
  } catch (e) {
    throw deployFailure(FailureType.InvalidConfig, {
      step,
      what: `${t.database.urlEnv} does not hold a usable PostgreSQL URL (${(e as Error).message})`,
      remedy: `set ${t.database.urlEnv} to postgres://user:password@host:port/database`,
      retryable: false,
    });
  }
  if (Buffer.byteLength(db.database, 'utf8') > MAX_IDENTIFIER_BYTES) {
    // PostgreSQL would truncate it: every name computed from it (and the guard) would be wrong.
    throw deployFailure(FailureType.InvalidConfig, {
      step,
      what:
        `the database named in ${t.database.urlEnv} is ${Buffer.byteLength(db.database, 'utf8')} bytes long; ` +
        `PostgreSQL truncates names at ${MAX_IDENTIFIER_BYTES} bytes`,
      remedy: `put the database's real (at most ${MAX_IDENTIFIER_BYTES}-byte) name in ${t.database.urlEnv}`,
      retryable: false,
    });
  }
  return { url: found.value, db };
}

/**
 * What loadConfig returns in place of each `commandEnv` value. The target travels through the
 * workflow's history (loadConfig's result, every activity's input): it carries the NAMES, and the
 * values are read from the worker's config file when a command runs (commandEnvValues).
 */
export const COMMAND_ENV_ON_WORKER = '<read from the worker config when a command runs>';

/**
 * The `commandEnv` a command runs with: each value left on the worker by loadConfig is read again
 * from this worker's config file, by app, environment and name. A value given in the target
 * itself (a target built by a caller, or loaded before names-only) is used as given.
 */
export function commandEnvValues(
  deps: ActivityDeps,
  t: Pick<TargetConfig, 'app' | 'environment' | 'commandEnv'>,
  step: StepName,
): Record<string, string> {
  const names = Object.keys(t.commandEnv);
  if (!names.some((n) => t.commandEnv[n] === COMMAND_ENV_ON_WORKER)) return { ...t.commandEnv };
  const field = `apps.${t.app}.${t.environment}.commandEnv`;
  const fail = (why: string) =>
    deployFailure(FailureType.InvalidConfig, {
      step,
      what: `${field}: ${why}`,
      remedy: `restore ${field} in ${deps.configPath} (the deployment started with ${names.join(', ')}) and retry`,
      retryable: false,
    });
  let raw: unknown;
  try {
    raw = readConfigFile(deps.configPath);
  } catch (e) {
    throw fail(`cannot read the values from ${deps.configPath}: ${(e as Error).message}`);
  }
  const parsed = workerConfigSchema.safeParse(raw);
  if (!parsed.success)
    throw fail(`the worker config ${deps.configPath} is no longer valid: ${describeIssues(parsed.error, '')}`);
  const apps = parsed.data.apps;
  const envs = Object.hasOwn(apps, t.app) ? apps[t.app]! : {};
  const values = Object.hasOwn(envs, t.environment) ? envs[t.environment]!.commandEnv : {};
  const missing = names.filter((n) => t.commandEnv[n] === COMMAND_ENV_ON_WORKER && !Object.hasOwn(values, n));
  if (missing.length > 0) throw fail(`${missing.join(', ')} no longer set in ${deps.configPath}`);
  return Object.fromEntries(
    names.map((n) => [n, t.commandEnv[n] === COMMAND_ENV_ON_WORKER ? values[n]! : t.commandEnv[n]!]),
  );
}

/** The environment's bounds on safe-deploy's own sessions; pgClient's defaults where unset. */
function sessionLimits(d: { lockTimeout?: Duration; statementTimeout?: Duration }): DbTarget['session'] {
  const ms = (v: Duration | undefined, fallback: number) => (v === undefined ? fallback : durationMs(v));
  return {
    lockTimeoutMs: ms(d.lockTimeout, DEFAULT_SESSION_LIMITS.lockTimeoutMs),
    statementTimeoutMs: ms(d.statementTimeout, DEFAULT_SESSION_LIMITS.statementTimeoutMs),
  };
}

function currentContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined; // called outside an activity (unit tests, scripts)
  }
}

/** This execution's attempt number (1 outside an activity): a retry must not redo what needs a fresh identity. */
export function activityAttempt(): number {
  return currentContext()?.info.attempt ?? 1;
}

/**
 * The PostgreSQL application_name of the sessions a command of this activity opens, the same in
 * every attempt of it (`safe-deploy migrate 3f9a…`, ≤ 63 bytes): a retry finds the sessions the
 * previous attempt left and ends them (endSessionsNamed). Undefined outside an activity.
 */
export function attemptSessionName(purpose: string): string | undefined {
  const info = currentContext()?.info;
  if (!info?.workflowExecution) return undefined;
  const id = createHash('sha256')
    .update(`${info.workflowExecution.workflowId}\0${info.activityId}`)
    .digest('hex')
    .slice(0, 16);
  return `safe-deploy ${purpose} ${id}`;
}

/** The last progress each running activity reported, so that liveness beats repeat it instead of erasing it. */
const lastDetails = new WeakMap<Context, Record<string, unknown>>();

/**
 * Heartbeats while `cmd` runs and stops it when the activity is cancelled. `progress` adds what
 * was done so far to each heartbeat (bytes written, tables done); `onLine` sees the output as it
 * streams (it is never kept whole).
 */
export function runInActivity(
  cmd: Cmd,
  phase: string,
  o: { progress?: () => Promise<Record<string, unknown>> | Record<string, unknown>; onLine?: RunHooks['onLine'] } = {},
): Promise<RunResult> {
  const c = currentContext();
  if (!c) return run(cmd, { onLine: o.onLine });
  let running = true; // a progress reading that ends after the command must not beat for it
  const onTick = (elapsedMs: number) => {
    if (!o.progress) return heartbeat({ phase, elapsedMs });
    void Promise.resolve()
      .then(o.progress)
      .then(
        (done) => running && heartbeat({ phase, elapsedMs, ...done }),
        () => running && heartbeat({ phase, elapsedMs }),
      );
  };
  return run(cmd, { signal: c.cancellationSignal, onTick, tickMs: 2_000, onLine: o.onLine }).finally(() => {
    running = false;
  });
}

/** Sleeps `ms` inside an activity, ending early with the cancellation when it is cancelled. */
export function activitySleep(ms: number): Promise<void> {
  const c = currentContext();
  return c ? c.sleep(ms) : new Promise((r) => setTimeout(r, ms));
}

/** Throws the activity's cancellation when it has been cancelled (between steps of work that runs no child process). */
export function throwIfCancelled(): void {
  const c = currentContext();
  if (c?.cancellationSignal.aborted) throw c.cancellationSignal.reason ?? new Error('cancelled');
}

/**
 * A line in the worker's log, with the activity's attributes;
 * nothing outside an activity. Never a secret: logs are kept.
 */
export function activityLog(message: string, meta: Record<string, unknown>): void {
  currentContext()?.log.info(message, meta);
}

export function heartbeat(details: Record<string, unknown>): void {
  const c = currentContext();
  if (!c) return;
  lastDetails.set(c, details);
  c.heartbeat(details);
}

/**
 * Wraps an activity so that it heartbeats every few seconds for as long as it runs: a worker that
 * dies is noticed within the heartbeat timeout, whatever the activity was doing (a long SQL
 * statement, a checksum), and a cancellation reaches it.
 */
export function keepAlive<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
  everyMs = 4_000,
): (...args: A) => Promise<R> {
  return async (...args: A) => {
    const c = currentContext();
    if (!c) return fn(...args);
    const timer = setInterval(() => c.heartbeat(lastDetails.get(c) ?? { phase: 'working' }), everyMs);
    try {
      return await fn(...args);
    } finally {
      clearInterval(timer);
    }
  };
}
