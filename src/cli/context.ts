import {
  Client,
  Connection,
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import { loadClientConnectConfig, type ClientConnectConfig } from '@temporalio/envconfig';
import type { z } from 'zod';
import { CliError, EXIT, type GlobalOptions } from './exit.js';

export { CliError, DEFAULT_GLOBALS, EXIT, EXIT_CODES, type GlobalOptions } from './exit.js';

/**
 * The Temporal way, resolved without connecting: the `temporal.toml` profile (TEMPORAL_CONFIG_FILE,
 * TEMPORAL_PROFILE), then TEMPORAL_* variables (address, namespace, API key, TLS), then the flags.
 */
export function resolveConnection(
  o: Pick<GlobalOptions, 'address' | 'namespace' | 'profile'>,
  env: NodeJS.ProcessEnv = process.env,
): ClientConnectConfig & { namespace: string } {
  const defined = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
  const config = loadClientConnectConfig({ profile: o.profile, overrideEnvVars: defined });
  return {
    connectionOptions: { ...config.connectionOptions, ...(o.address ? { address: o.address } : {}) },
    namespace: o.namespace ?? config.namespace ?? 'default',
  };
}

/** Works unchanged against a dev server or Temporal Cloud. */
export async function connectClient(
  o: Pick<GlobalOptions, 'address' | 'namespace' | 'profile'>,
): Promise<{ client: Client; close: () => Promise<void> }> {
  const { connectionOptions, namespace } = resolveConnection(o);
  const connection = await Connection.connect(connectionOptions);
  const client = new Client({ connection, namespace });
  return { client, close: () => connection.close() };
}

/** Connects, runs `fn`, always closes. */
export async function withClient<T>(g: GlobalOptions, fn: (client: Client) => Promise<T>): Promise<T> {
  const { client, close } = await connectClient(g);
  try {
    return await fn(client);
  } finally {
    await close();
  }
}

/** Prints machine-readable JSON or human lines, never both. */
export function output(json: boolean | undefined) {
  return {
    line: (text: string) => {
      if (!json) console.log(text);
    },
    json: (value: unknown) => {
      if (json) console.log(JSON.stringify(value, null, 2));
    },
  };
}

/** Validates a command's options with zod; a problem names the flag (`--reason: …`). */
export function parseOptions<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new CliError(parsed.error.issues.map((i) => `${flagOf(i.path)}: ${i.message}`).join('; '));
  return parsed.data;
}
const flagOf = (path: PropertyKey[]) => {
  if (!path.length) return 'options';
  const [first, ...rest] = path.map(String);
  return `--${first!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}${rest.length ? ` (${rest.join('.')})` : ''}`;
};

/** Describes first, so that "no such deployment" and "already finished" read differently. */
export async function requireRunning(handle: WorkflowHandle, verb: string): Promise<void> {
  const status = (await describeOrExplain(handle)).status.name;
  if (status !== 'RUNNING')
    throw new CliError(`deployment ${handle.workflowId} has already ended (${status}); nothing to ${verb}`);
}

export async function describeOrExplain(handle: WorkflowHandle) {
  try {
    return await handle.describe();
  } catch (err) {
    throw explainTemporalError(err) ?? err;
  }
}

/** The Temporal errors a user can cause, turned into one clear line and an exit code. */
export function explainTemporalError(err: unknown): CliError | undefined {
  if (err instanceof CliError) return err;
  if (err instanceof WorkflowNotFoundError) {
    return /already completed/i.test(err.message)
      ? new CliError(`deployment ${err.workflowId} has already ended`, EXIT.refused)
      : new CliError(`no deployment ${err.workflowId} in this namespace`, EXIT.notFound);
  }
  if (err instanceof WorkflowUpdateFailedError)
    return new CliError(`refused: ${err.cause?.message ?? err.message}`, EXIT.refused);
  if (err instanceof WorkflowExecutionAlreadyStartedError)
    return new CliError(`a workflow ${err.workflowId} already exists; choose another --workflow-id`, EXIT.refused);
  if (err instanceof ScheduleNotFoundError)
    return new CliError(`no schedule ${err.scheduleId} in this namespace`, EXIT.notFound);
  if (err instanceof ScheduleAlreadyRunning)
    return new CliError(`schedule ${err.scheduleId} already exists; delete it first or pass --id`, EXIT.refused);
  return undefined;
}
