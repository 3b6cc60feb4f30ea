import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';
import { redact } from './redact.js';

/** A command as data: built by src/commands, executed only here, never through a shell. */
export interface Cmd {
  file: string;
  args: readonly string[];
  cwd?: string;
  /** Added to a minimal base environment (PATH, HOME, locale); the worker's own env is not passed on. */
  env?: Record<string, string>;
  /** Values scrubbed from every output, error and display string. */
  secrets?: readonly string[];
  timeoutMs?: number;
}

export interface RunHooks {
  signal?: AbortSignal;
  /** Called every `tickMs` while the command runs: heartbeat from here. */
  onTick?: (elapsedMs: number) => void;
  tickMs?: number;
  /**
   * Each complete output line as it arrives (redacted), for progress: `pg_dump --verbose` tells
   * which table it finished. Lines are not kept; only the bounded tails are.
   */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface RunResult {
  stdout: string;
  stderr: string;
  durationMs: number;
}

const TAIL_BYTES = 64 * 1024;
const KILL_GRACE_MS = 5_000;
/** How long the reaper of a dead worker's command waits between SIGTERM and SIGKILL. */
const ORPHAN_GRACE_MS = 3_000;
/** Shipped next to this file (src/exec in tests, dist/src/exec once built: tsconfig's allowJs copies it). */
const REAPER = fileURLToPath(new URL('./reaper.cjs', import.meta.url));
/**
 * What a command inherits from the worker: the basics, and what npm and git need to reach their
 * registries on a real network (proxies, CAs, registry/cache settings). Nothing else: the worker's
 * environment may hold other apps' secrets.
 */
const BASE_ENV_NAMES = new Set([
  'PATH',
  'HOME',
  'USER',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'TZ',
  'TMPDIR',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  ...['registry', 'cache', 'userconfig', 'cafile', 'proxy', 'https_proxy', 'noproxy', 'strict_ssl'].flatMap((k) => [
    `npm_config_${k}`,
    `NPM_CONFIG_${k.toUpperCase()}`,
  ]),
]);

export class CommandFailed extends Error {
  constructor(
    readonly display: string,
    readonly exitCode: number | null,
    readonly signal: string | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`${display} exited with ${exitCode ?? signal}: ${lastLines(stderr || stdout, 12)}`);
    this.name = 'CommandFailed';
  }
}
export class CommandTimedOut extends Error {
  constructor(
    readonly display: string,
    readonly timeoutMs: number,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`${display} did not finish within ${timeoutMs} ms: ${lastLines(stderr || stdout, 6)}`);
    this.name = 'CommandTimedOut';
  }
}
export class CommandNotFound extends Error {
  constructor(
    readonly display: string,
    readonly file: string,
  ) {
    super(`${file} was not found on PATH (running ${display})`);
    this.name = 'CommandNotFound';
  }
}

export function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

/** How a command reads in messages: redacted, for people, never executed. */
export function display(cmd: Cmd): string {
  return redact([cmd.file, ...cmd.args].join(' '), cmd.secrets);
}

export function baseEnv(from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(from)) {
    if (BASE_ENV_NAMES.has(name) && value !== undefined) env[name] = value;
  }
  return env;
}

/** Keeps the last TAIL_BYTES of a stream so a chatty command cannot fill the worker's memory. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= TAIL_BYTES) this.size -= this.chunks.shift()!.length;
  }
  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - TAIL_BYTES)).toString('utf8');
  }
}

/** Cuts a stream into lines; a line longer than TAIL_BYTES is passed on in pieces, never grown without bound. */
class LineSplitter {
  private rest = '';
  private readonly decoder = new StringDecoder('utf8'); // a character may straddle two chunks
  constructor(private readonly emit: (line: string) => void) {}
  push(chunk: Buffer): void {
    const parts = (this.rest + this.decoder.write(chunk)).split('\n');
    this.rest = parts.pop()!;
    for (const line of parts) this.emit(line);
    if (this.rest.length > TAIL_BYTES) {
      this.emit(this.rest);
      this.rest = '';
    }
  }
}

/** How a command ended, as its reaper saw it. */
interface Ending {
  code: number | null;
  signal: string | null;
  /** The command could not be started (`ENOENT`: no such program, or no such cwd). */
  spawnError?: { code: string; message: string };
}

/** What the reaper writes on fd 3 (reaper.cjs). */
interface ReaperReport {
  exit?: { code: number | null; signal: string | null };
  spawnError?: string;
  message?: string;
}

/**
 * Starts `cmd` through the reaper (reaper.cjs): the reaper leads a new process group that the
 * command and its children join, and kills that group if this process dies, whatever kills it.
 * Its stdin is the lifeline: this end is never written after the request nor closed, so it closes
 * only when this process exits. `ended` settles once the reaper has exited and its pipes closed.
 */
function spawnReaped(cmd: Cmd): { child: ChildProcess; ended: Promise<Ending> } {
  const child = spawn(process.execPath, [REAPER], {
    cwd: '/',
    env: {},
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    shell: false,
    detached: true,
  });
  child.stdin!.on('error', () => {
    /* the reaper is gone: its exit says how */
  });
  child.stdin!.write(
    JSON.stringify({
      file: cmd.file,
      args: cmd.args,
      cwd: cmd.cwd,
      env: { ...baseEnv(), ...cmd.env },
      graceMs: ORPHAN_GRACE_MS,
    }) + '\n',
  );
  let reports = '';
  const reportPipe = child.stdio[3] as Readable;
  reportPipe.on('data', (c: Buffer) => {
    if (reports.length < 64 * 1024) reports += c.toString('utf8');
  });
  const ended = new Promise<Ending>((resolve, reject) => {
    child.on('error', reject); // the reaper itself could not start (no fork, no node)
    child.on('close', (code, signal) => {
      const last = reports
        .split('\n')
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as ReaperReport];
          } catch {
            return [];
          }
        })
        .at(-1);
      if (last?.spawnError)
        return resolve({
          code: null,
          signal: null,
          spawnError: { code: last.spawnError, message: last.message ?? last.spawnError },
        });
      // The reaper reports the command's own status; killed before it could (SIGKILL), its own tells.
      resolve(last?.exit ?? { code, signal });
    });
  });
  return { child, ended };
}

const spawnFailure = (shown: string, cmd: Cmd, e: { code: string; message: string }): Error =>
  e.code === 'ENOENT'
    ? new CommandNotFound(shown, cmd.file)
    : Object.assign(new Error(`${shown} could not be started: ${redact(e.message, cmd.secrets)}`), { code: e.code });

/**
 * Runs `cmd` with an argument array (no shell), in a process group of its own led by its reaper,
 * so that a timeout or an abort stops the whole tree (npm and npx spawn children), and so does
 * the death of this process. Output is bounded and redacted.
 */
export function run(cmd: Cmd, hooks: RunHooks = {}): Promise<RunResult> {
  const shown = display(cmd);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    if (hooks.signal?.aborted) return reject(hooks.signal.reason ?? new Error('aborted'));
    const { child, ended } = spawnReaped(cmd);
    const out = new Tail();
    const err = new Tail();
    const outLines = hooks.onLine
      ? new LineSplitter((l) => hooks.onLine!(redact(l, cmd.secrets), 'stdout'))
      : undefined;
    const errLines = hooks.onLine
      ? new LineSplitter((l) => hooks.onLine!(redact(l, cmd.secrets), 'stderr'))
      : undefined;
    child.stdout!.on('data', (c: Buffer) => {
      out.push(c);
      outLines?.push(c);
    });
    child.stderr!.on('data', (c: Buffer) => {
      err.push(c);
      errLines?.push(c);
    });
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const killTree = () => {
      if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      killTimer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }, KILL_GRACE_MS);
    };
    const timeout = cmd.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          killTree();
        }, cmd.timeoutMs)
      : undefined;
    const ticker = hooks.onTick
      ? setInterval(() => hooks.onTick!(Date.now() - started), hooks.tickMs ?? 5_000)
      : undefined;
    const onAbort = () => killTree();
    hooks.signal?.addEventListener('abort', onAbort, { once: true });
    const settle = () => {
      clearTimeout(timeout);
      clearTimeout(killTimer);
      clearInterval(ticker);
      hooks.signal?.removeEventListener('abort', onAbort);
    };
    ended.then(
      ({ code, signal, spawnError }) => {
        settle();
        if (spawnError) return reject(spawnFailure(shown, cmd, spawnError));
        const stdout = redact(out.text(), cmd.secrets);
        const stderr = redact(err.text(), cmd.secrets);
        if (hooks.signal?.aborted) return reject(hooks.signal.reason ?? new Error(`${shown} aborted`));
        if (timedOut) return reject(new CommandTimedOut(shown, cmd.timeoutMs!, stdout, stderr));
        if (code !== 0) return reject(new CommandFailed(shown, code, signal, stdout, stderr));
        resolve({ stdout, stderr, durationMs: Date.now() - started });
      },
      (e: Error) => {
        settle();
        reject(e);
      },
    );
  });
}

/** A process that keeps running (an app started for a rehearsal) until `stop()`. */
export interface Service {
  /** Its process group (its reaper leads it; the app is in it). */
  pid: number;
  /** Set once it has exited on its own (it was meant to keep running). */
  exited(): { code: number | null; signal: string | null } | undefined;
  /** The end of what it printed, redacted. */
  output(): string;
  /** SIGTERM to its process group, SIGKILL after a grace period; resolves once it is gone. */
  stop(): Promise<void>;
}

/** Starts `cmd` to keep running, through its reaper like every command: it dies with this process. */
export function startService(cmd: Cmd): Service {
  const { child, ended } = spawnReaped(cmd);
  const out = new Tail();
  child.stdout!.on('data', (c: Buffer) => out.push(c));
  child.stderr!.on('data', (c: Buffer) => out.push(c));
  let exit: { code: number | null; signal: string | null } | undefined;
  const gone = ended.then(
    (e) => {
      exit = e.spawnError
        ? { code: null, signal: spawnFailure(display(cmd), cmd, e.spawnError).message }
        : { code: e.code, signal: e.signal };
    },
    (e: Error) => {
      exit = { code: null, signal: e.message };
    },
  );
  return {
    pid: child.pid ?? -1,
    exited: () => exit,
    output: () => redact(out.text(), cmd.secrets),
    async stop() {
      if (exit || child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, KILL_GRACE_MS);
      await gone;
      clearTimeout(timer);
    },
  };
}
