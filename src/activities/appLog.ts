import { open } from 'node:fs/promises';
import { appCommand } from '../commands/app.js';
import type { TargetConfig } from '../config/schema.js';
import { CommandFailed, CommandNotFound, CommandTimedOut } from '../exec/run.js';
import { redact } from '../exec/redact.js';
import type { StepName } from '../shared/steps.js';
import {
  commandEnvValues,
  lookupEnv,
  readEnvFile,
  resolveDatabase,
  runInActivity,
  type ActivityDeps,
} from './activityDeps.js';

/** How much of the app's own log a failure carries: the last lines, at most this many bytes of them. */
export const APP_LOG_LINES = 50;
export const APP_LOG_MAX_BYTES = 4_000;
/** A `logs` command that has not answered by then is cut (journalctl waiting on a pager or a lock). */
export const APP_LOG_COMMAND_MS = 5_000;
/** The most of a log file read from its end, to find its last lines. */
const FILE_TAIL_BYTES = 256 * 1024;

/** Names whose values are secrets wherever they appear in a log: the app's env file and its required variables. */
const SECRET_NAME = /PASS|SECRET|TOKEN|KEY|CREDENTIAL|AUTH|URL|DSN|COOKIE|SALT/i;

/**
 * Every secret the app's log may hold that we know of: the database URL and password, the
 * bypass value, secret-named variables.
 */
function secretsOf(deps: ActivityDeps, t: TargetConfig, step: StepName): string[] {
  const secrets: string[] = [];
  try {
    const { url, db } = resolveDatabase(deps, t, step);
    secrets.push(url, db.password, encodeURIComponent(db.password));
  } catch {
    // No usable URL: nothing of it to hide, and the failure being described says more.
  }
  const names = [...(t.writes.bypass ? [t.writes.bypass.valueEnv] : []), ...t.requiredEnv];
  for (const name of names) {
    const v = lookupEnv(deps, t.envFile, name)?.value;
    if (v && (name === t.writes.bypass?.valueEnv || SECRET_NAME.test(name))) secrets.push(v);
  }
  for (const [name, value] of Object.entries(readEnvFile(t.envFile)))
    if (SECRET_NAME.test(name) && value) secrets.push(value);
  // Longest first: a password inside a URL must not leave the URL's other parts half-hidden.
  return [...new Set(secrets)].sort((a, b) => b.length - a.length);
}

/** The last `APP_LOG_LINES` lines of `text`, at most `APP_LOG_MAX_BYTES` bytes of them (whole lines from the end). */
export function lastLogLines(text: string): string[] {
  const lines = text.replace(/\r/g, '').replace(/\n+$/, '').split('\n').slice(-APP_LOG_LINES);
  const kept: string[] = [];
  let bytes = 0;
  for (const line of lines.reverse()) {
    const size = Buffer.byteLength(line, 'utf8') + 1;
    if (bytes + size > APP_LOG_MAX_BYTES) {
      if (kept.length === 0) kept.push(`…${line.slice(-(APP_LOG_MAX_BYTES / 4))}`); // one huge line: its end
      break;
    }
    kept.push(line);
    bytes += size;
  }
  return kept.reverse();
}

async function readFileTail(path: string): Promise<string> {
  const file = await open(path, 'r');
  try {
    const { size, isFile } = await file.stat().then((s) => ({ size: s.size, isFile: s.isFile() }));
    if (!isFile) throw Object.assign(new Error('not a regular file'), { code: 'ENOTFILE' });
    const length = Math.min(size, FILE_TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    await file.read(buffer, 0, length, size - length);
    const text = buffer.toString('utf8');
    // Started mid-file: the first line is a piece of one.
    return length < size ? text.slice(text.indexOf('\n') + 1) : text;
  } finally {
    await file.close();
  }
}

/**
 * The app's own words (config `logs`) for a failure message: its last lines, secrets redacted,
 * introduced by where they come from. Never throws: a log that cannot be read says why in its
 * place, and the failure (or the rollback) it belongs to goes on. Undefined without `logs`.
 */
export async function appLogTail(deps: ActivityDeps, t: TargetConfig, step: StepName): Promise<string | undefined> {
  if (!t.logs) return undefined;
  const secrets = secretsOf(deps, t, step);
  const scrub = (s: string) => redact(s, secrets);
  const logs = t.logs;
  const file = typeof logs === 'string' ? logs : undefined;
  const source = typeof logs === 'string' ? logs : `\`${logs.join(' ')}\``;
  let text: string;
  let note = '';
  try {
    if (file) text = await readFileTail(file);
    else {
      try {
        const r = await runInActivity(
          appCommand(logs as string[], {
            cwd: t.appDir,
            commandEnv: commandEnvValues(deps, t, step),
            timeoutMs: APP_LOG_COMMAND_MS,
          }),
          'logs',
        );
        text = r.stdout || r.stderr;
      } catch (e) {
        if (e instanceof CommandTimedOut) {
          text = e.stdout || e.stderr;
          note = ` (cut: it had not finished after ${APP_LOG_COMMAND_MS / 1000} s)`;
        } else if (e instanceof CommandFailed) {
          text = e.stdout || e.stderr;
          note = ` (it exited with ${e.exitCode ?? e.signal})`;
        } else throw e;
      }
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES'
          ? 'cannot be read by the worker (permission denied)'
          : code === 'ENOTFILE' || code === 'EISDIR'
            ? 'is not a file'
            : e instanceof CommandNotFound
              ? `cannot run: ${e.message}`
              : `could not be read: ${(e as Error).message}`;
    return scrub(`The app's log (logs: ${source}) ${why}.`);
  }
  const lines = lastLogLines(text);
  if (lines.length === 0 || (lines.length === 1 && lines[0] === ''))
    return scrub(`The app's log (logs: ${source}) is empty${note}.`);
  return scrub(
    `The app's own words, the last ${lines.length} lines of ` +
      `${source}${note}:\n${lines.map((l) => `    ${l}`).join('\n')}`,
  );
}
