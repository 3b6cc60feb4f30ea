/** The fault worker as a process of its own: started, found with its children, killed like a crash. */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readdirSync, readFileSync } from 'node:fs';
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

/** Starts a fault worker, detached (its own process group), and waits until it polls. */
export async function startFaultWorker(env: Record<string, string>, logFile: string): Promise<number> {
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, [faultWorkerScript()], { env: { ...process.env, ...env }, stdio: ['ignore', out, out], detached: true });
  closeSync(out);
  child.unref();
  const pid = child.pid!;
  let exited = false;
  child.once('exit', () => { exited = true; });
  await waitUntil(`fault worker ${pid} (log: ${logFile})`, async () => {
    if (exited) throw new Error(`fault worker exited; see ${logFile}`);
    return readFileSync(logFile, 'utf8').includes(`fault worker ${pid}: ready`);
  }, 120_000, 100);
  return pid;
}

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

const alive = (pid: number) => {
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
      try { process.kill(p, 'SIGSTOP'); stopped.add(p); } catch { /* gone */ }
    }
  }
  for (const p of stopped) {
    try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
  }
  await waitUntil(`the killed worker tree of ${pid}`, async () => [...stopped].every((p) => !alive(p)), 10_000, 50);
  return [...stopped];
}

/** The one fault worker of a lab: replaced by a fresh process when a case kills it. */
export class FaultWorker {
  private current: number | undefined;
  constructor(private readonly env: Record<string, string>, readonly logFile: string, private readonly onStart: (pid: number) => void = () => {}) {}

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

  async stop(): Promise<void> {
    if (this.current !== undefined) await stopProcess(this.current, 10_000);
    this.current = undefined;
  }
}
