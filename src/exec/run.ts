import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
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
/**
 * What a command inherits from the worker: the basics, and what npm and git need to reach their
 * registries on a real network (proxies, CAs, registry/cache settings). Nothing else: the worker's
 * environment may hold other apps' secrets.
 */
const BASE_ENV_NAMES = new Set([
  'PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR',
  'HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy',
  'NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR',
  ...['registry', 'cache', 'userconfig', 'cafile', 'proxy', 'https_proxy', 'noproxy', 'strict_ssl'].flatMap((k) => [`npm_config_${k}`, `NPM_CONFIG_${k.toUpperCase()}`]),
]);

export class CommandFailed extends Error {
  constructor(readonly display: string, readonly exitCode: number | null, readonly signal: string | null, readonly stdout: string, readonly stderr: string) {
    super(`${display} exited with ${exitCode ?? signal}: ${lastLines(stderr || stdout, 12)}`);
    this.name = 'CommandFailed';
  }
}
export class CommandTimedOut extends Error {
  constructor(readonly display: string, readonly timeoutMs: number, readonly stdout: string, readonly stderr: string) {
    super(`${display} did not finish within ${timeoutMs} ms: ${lastLines(stderr || stdout, 6)}`);
    this.name = 'CommandTimedOut';
  }
}
export class CommandNotFound extends Error {
  constructor(readonly display: string, readonly file: string) {
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

/**
 * Runs `cmd` with an argument array (no shell), in its own process group so that a timeout or an
 * abort stops the whole tree (npm and npx spawn children). Output is bounded and redacted.
 */
export function run(cmd: Cmd, hooks: RunHooks = {}): Promise<RunResult> {
  const shown = display(cmd);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    if (hooks.signal?.aborted) return reject(hooks.signal.reason ?? new Error('aborted'));
    const child = spawn(cmd.file, cmd.args, {
      cwd: cmd.cwd,
      env: { ...baseEnv(), ...cmd.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
      detached: true,
    });
    const out = new Tail();
    const err = new Tail();
    const outLines = hooks.onLine ? new LineSplitter((l) => hooks.onLine!(redact(l, cmd.secrets), 'stdout')) : undefined;
    const errLines = hooks.onLine ? new LineSplitter((l) => hooks.onLine!(redact(l, cmd.secrets), 'stderr')) : undefined;
    child.stdout.on('data', (c: Buffer) => { out.push(c); outLines?.push(c); });
    child.stderr.on('data', (c: Buffer) => { err.push(c); errLines?.push(c); });
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    const killTree = () => {
      if (child.pid === undefined || child.exitCode !== null) return;
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
      killTimer = setTimeout(() => {
        try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
      }, KILL_GRACE_MS);
    };
    const timeout = cmd.timeoutMs ? setTimeout(() => { timedOut = true; killTree(); }, cmd.timeoutMs) : undefined;
    const ticker = hooks.onTick ? setInterval(() => hooks.onTick!(Date.now() - started), hooks.tickMs ?? 5_000) : undefined;
    const onAbort = () => killTree();
    hooks.signal?.addEventListener('abort', onAbort, { once: true });
    const settle = () => {
      clearTimeout(timeout);
      clearTimeout(killTimer);
      clearInterval(ticker);
      hooks.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (e: NodeJS.ErrnoException) => {
      settle();
      reject(e.code === 'ENOENT' ? new CommandNotFound(shown, cmd.file) : e);
    });
    child.on('close', (code, signal) => {
      settle();
      const stdout = redact(out.text(), cmd.secrets);
      const stderr = redact(err.text(), cmd.secrets);
      if (hooks.signal?.aborted) return reject(hooks.signal.reason ?? new Error(`${shown} aborted`));
      if (timedOut) return reject(new CommandTimedOut(shown, cmd.timeoutMs!, stdout, stderr));
      if (code !== 0) return reject(new CommandFailed(shown, code, signal, stdout, stderr));
      resolve({ stdout, stderr, durationMs: Date.now() - started });
    });
  });
}

/** A process that keeps running (an app started for a rehearsal) until `stop()`. */
export interface Service {
  pid: number;
  /** Set once it has exited on its own (it was meant to keep running). */
  exited(): { code: number | null; signal: string | null } | undefined;
  /** The end of what it printed, redacted. */
  output(): string;
  /** SIGTERM to its process group, SIGKILL after a grace period; resolves once it is gone. */
  stop(): Promise<void>;
}

export function startService(cmd: Cmd): Service {
  const child = spawn(cmd.file, cmd.args, { cwd: cmd.cwd, env: { ...baseEnv(), ...cmd.env }, stdio: ['ignore', 'pipe', 'pipe'], shell: false, detached: true });
  const out = new Tail();
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => out.push(c));
  let exit: { code: number | null; signal: string | null } | undefined;
  const gone = new Promise<void>((resolve) => child.on('close', (code, signal) => { exit = { code, signal }; resolve(); }));
  child.on('error', (e) => { exit = { code: null, signal: e.message }; });
  return {
    pid: child.pid ?? -1,
    exited: () => exit,
    output: () => redact(out.text(), cmd.secrets),
    async stop() {
      if (exit || child.pid === undefined) return;
      try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
      const timer = setTimeout(() => { try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ } }, KILL_GRACE_MS);
      await gone;
      clearTimeout(timer);
    },
  };
}
