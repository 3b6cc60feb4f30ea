/** The fault worker as a process of its own: started, found with its children, killed like a crash. */
import { execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  statSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopProcess } from '../lib/devServer.js';
import { waitUntil } from '../lib/ports.js';

/** The project root, walking up from this file: it runs from scripts/faults (vitest) and from dist/scripts/faults. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'examples', 'farm-chat'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`project root not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** The compiled worker script: vitest runs the runner from source, but the worker is a plain node process (npm test builds first). */
export function faultWorkerScript(): string {
  const script = join(projectRoot(), 'dist', 'scripts', 'faults', 'worker.js');
  if (!existsSync(script)) throw new Error(`${script} is missing: run npm run build first`);
  return script;
}

/** Starts a worker script, detached (its own process group), and waits until its log says `ready` (after what it logged before). */
export async function startWorkerProcess(
  script: string,
  env: Record<string, string>,
  logFile: string,
  ready: string | ((pid: number) => string),
): Promise<number> {
  const before = existsSync(logFile) ? readFileSync(logFile, 'utf8').length : 0;
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', out, out],
    detached: true,
  });
  closeSync(out);
  child.unref();
  const pid = child.pid!;
  const line = typeof ready === 'string' ? ready : ready(pid);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  await waitUntil(
    `worker ${pid} (log: ${logFile})`,
    async () => {
      if (exited) throw new Error(`worker ${pid} exited; see ${logFile}`);
      return readFileSync(logFile, 'utf8').slice(before).includes(line);
    },
    120_000,
    100,
  );
  return pid;
}

/** Starts a fault worker, detached (its own process group), and waits until it polls. */
export const startFaultWorker = (env: Record<string, string>, logFile: string): Promise<number> =>
  startWorkerProcess(faultWorkerScript(), env, logFile, (pid) => `fault worker ${pid}: ready`);

const parentOf = (pid: number): number | undefined => {
  try {
    // /proc/<pid>/stat: "pid (comm) state ppid ...", comm may hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
};

/** `pid` and every process below it (commands run in process groups of their own, so the group alone is not enough). */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const p = Number(entry);
    if (!Number.isInteger(p)) continue;
    const parent = parentOf(p);
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), p]);
  }
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift()!;
    tree.push(p);
    queue.push(...(children.get(p) ?? []));
  }
  return tree;
}

const pids = () =>
  readdirSync('/proc')
    .map(Number)
    .filter((p) => Number.isInteger(p));

/**
 * Processes started after this was made, below `root`: cheap enough to poll every millisecond
 * (only a new process's stat is read, once if it is not below `root`), so that a command living a
 * few milliseconds (a git rev-parse) is seen. By the set of ids seen before, not by the highest:
 * ids wrap (pid_max 32768 here wraps within minutes under a test suite).
 */
export class NewProcesses {
  private readonly others: Set<number>;
  constructor() {
    this.others = new Set(pids());
  }

  below(root: number): number[] {
    const found: number[] = [];
    for (const p of pids()) {
      if (this.others.has(p) || p === root) continue;
      let at: number | undefined = p;
      for (let hops = 0; at !== undefined && at > 1 && at !== root && hops < 16; hops++) at = parentOf(at);
      if (at === root)
        found.push(p); // ours: looked at again (a fork of the reaper becomes the command when it execs)
      else if (at !== undefined) this.others.add(p);
    }
    return found;
  }
}

export const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return parentOf(pid) !== undefined && !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
};

/**
 * A crash of the worker host's safe-deploy service: SIGSTOP the worker and everything it started
 * (so nothing forks away meanwhile), then SIGKILL them all. `spare` are daemons the worker started
 * that belong to another service (the app, which systemd would keep in its own cgroup).
 */
export async function crashProcessTree(pid: number, spare: readonly number[] = []): Promise<number[]> {
  const stopped = new Set<number>();
  for (let round = 0; round < 5; round++) {
    const tree = processTree(pid).filter((p) => !spare.includes(p) && !stopped.has(p));
    if (tree.length === 0) break;
    for (const p of tree) {
      try {
        process.kill(p, 'SIGSTOP');
        stopped.add(p);
      } catch {
        /* gone */
      }
    }
  }
  for (const p of stopped) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await waitUntil(`the killed worker tree of ${pid}`, async () => [...stopped].every((p) => !alive(p)), 10_000, 50);
  return [...stopped];
}

/** A process's argv, or [] once it is gone. */
export function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/** SIGKILL to `pid` alone (not its children: a worker killed by `kill -9` or the OOM killer); resolves once it is gone. */
export async function killAlone(pid: number): Promise<void> {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
  await waitUntil(`the killed process ${pid}`, async () => !alive(pid), 10_000, 20);
}

/** The processes of `pids` still alive once `withinMs` passed (checked as they go, so it returns early when all are gone). */
export async function survivors(pids: readonly number[], withinMs: number): Promise<number[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const left = pids.filter(alive);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((r) => setTimeout(r, 50));
  }
}

let postgresUid: number | undefined;
const serverUid = () =>
  (postgresUid ??= (() => {
    try {
      return Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    } catch {
      return -1;
    }
  })());

/**
 * Processes working on a station's production that nobody should be running: a process whose
 * argv or working directory lies under `rootDir` (the app's code, env file and run folder), or
 * whose environment points at the station's PostgreSQL port (PGPORT, a database URL) — but the
 * app itself (`keep`, and what it started), the PostgreSQL server's own processes, and this one.
 * Once a deployment has ended, anything found is an orphan of a command.
 */
export function stationProcesses(o: {
  rootDir: string;
  pgPort?: number;
  keep: readonly number[];
}): { pid: number; argv: string }[] {
  const root = realpathSync(o.rootDir);
  const kept = new Set(o.keep.flatMap((p) => processTree(p)));
  const found: { pid: number; argv: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid || kept.has(pid)) continue;
    try {
      if (statSync(`/proc/${pid}`).uid === serverUid()) continue;
      const argv = cmdline(pid);
      if (argv.length === 0) continue; // a kernel thread, or gone
      let cwd = '';
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        /* gone, or not ours to read */
      }
      let env = '';
      try {
        env = readFileSync(`/proc/${pid}/environ`, 'utf8');
      } catch {
        /* gone */
      }
      // Whole path components: production-b is not under production.
      const under = (path: string) => [root, o.rootDir].some((r) => path === r || path.startsWith(`${r}/`));
      const names = (arg: string) => [root, o.rootDir].some((r) => arg.includes(`${r}/`) || arg.endsWith(r));
      const onPort =
        o.pgPort !== undefined &&
        env.split('\0').some((kv) => kv === `PGPORT=${o.pgPort}` || kv.includes(`:${o.pgPort}/`));
      if (under(cwd) || argv.some(names) || onPort) found.push({ pid, argv: argv.join(' ').slice(0, 160) });
    } catch {
      /* exited while we looked */
    }
  }
  return found;
}

/** The one fault worker of a lab: replaced by a fresh process when a case kills it. */
export class FaultWorker {
  private current: number | undefined;
  constructor(
    private readonly env: Record<string, string>,
    readonly logFile: string,
    private readonly onStart: (pid: number) => void = () => {},
  ) {}

  get pid(): number | undefined {
    return this.current;
  }

  async start(): Promise<number> {
    this.current = await startFaultWorker(this.env, this.logFile);
    this.onStart(this.current);
    return this.current;
  }

  /** SIGKILLs it and every process it started (but `spare`), like a crash of its host service. */
  async crash(spare: readonly number[]): Promise<number[]> {
    if (this.current === undefined) return [];
    const killed = await crashProcessTree(this.current, spare);
    this.current = undefined;
    return killed;
  }

  /**
   * SIGKILLs the worker process alone, as `kill -9` would, and returns what it was running: its
   * descendants just before (the reapers of its commands and the commands), `spare` excepted.
   */
  async killAlone(
    spare: (pid: number) => boolean,
    descendants: (pid: number) => number[] = processTree,
  ): Promise<{ pid: number; commands: { pid: number; argv: string }[] }> {
    const pid = this.current;
    if (pid === undefined) throw new Error('no fault worker to kill');
    const commands = descendants(pid)
      .filter((p) => p !== pid && !spare(p))
      .map((p) => ({ pid: p, argv: cmdline(p).join(' ') }));
    await killAlone(pid);
    this.current = undefined;
    return { pid, commands };
  }

  async stop(): Promise<void> {
    if (this.current !== undefined) await stopProcess(this.current, 10_000);
    this.current = undefined;
  }
}
