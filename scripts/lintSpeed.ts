/**
 * `node dist/scripts/lintSpeed.js [--runs N]` (after `npm run build`): the bench's two `safe-deploy
 * lint` figures alone — the cold start (a folder of one migration) and 10,000 small migrations
 * with `--json` — each run a new process, as `npm run bench` measures them, but with the minimum
 * and median of N runs (default 5), the CPU time (user + sys, all threads, from GNU time) beside
 * the wall time, and the load average before and after: the machine is shared.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtCli, writeCliFolders } from './bench/lint.js';

const GNU_TIME = '/usr/bin/time';

interface Run {
  wallS: number;
  cpuS: number | undefined;
  maxRssMb: number | undefined;
}

function run(args: string[]): Run {
  const argv = [process.execPath, builtCli, 'lint', ...args];
  const timed = existsSync(GNU_TIME);
  const started = process.hrtime.bigint();
  const r = timed
    ? spawnSync(GNU_TIME, ['-f', 'TIME %e %U %S %M', ...argv], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0 && r.status !== 1)
    throw new Error(`safe-deploy lint ${args.join(' ')} exited ${r.status}: ${r.stderr.toString().slice(-500)}`);
  const t = /TIME (\S+) (\S+) (\S+) (\d+)/.exec(r.stderr.toString());
  return t
    ? { wallS, cpuS: Number(t[2]) + Number(t[3]), maxRssMb: Math.round(Number(t[4]) / 1024) }
    : { wallS, cpuS: undefined, maxRssMb: undefined };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const seconds = (xs: number[]) => `min ${Math.min(...xs).toFixed(2)} s, median ${median(xs).toFixed(2)} s`;
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

function summary(label: string, runs: Run[]): string {
  const cpu = runs.flatMap((r) => (r.cpuS === undefined ? [] : [r.cpuS]));
  const rss = runs.flatMap((r) => (r.maxRssMb === undefined ? [] : [r.maxRssMb]));
  return [
    `${label}: wall ${seconds(runs.map((r) => r.wallS))}`,
    cpu.length ? `; CPU ${seconds(cpu)}` : ` (no ${GNU_TIME}: no CPU time)`,
    rss.length ? `; peak RSS ${Math.max(...rss)} MB` : '',
  ].join('');
}

const at = process.argv.indexOf('--runs');
const runs = at === -1 ? 5 : Number(process.argv[at + 1]);
if (!(Number.isInteger(runs) && runs > 0))
  throw new Error(`--runs takes a whole number above 0 (got ${process.argv[at + 1]})`);
const dir = mkdtempSync(join(tmpdir(), 'safe-deploy-lint-speed-'));
try {
  const folders = writeCliFolders(dir);
  console.log(`load average before: ${load()} (${runs} runs each)`);
  const start = Array.from({ length: runs }, () => run([folders.one]));
  console.log(summary('cold start (one migration)', start));
  const ten = Array.from({ length: runs }, () => run([folders.tenThousand, '--json']));
  console.log(summary(`${folders.migrations} migrations (${folders.statements} statements), --json`, ten));
  console.log(`load average after: ${load()}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
