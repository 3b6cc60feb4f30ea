/** The machine the figures come from: CPU, cores, memory, the disk under the benchmark, its load. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGb: number;
  /** Filesystem, device and size under the benchmark's folder; whether the device rotates. */
  disk: string;
  kernel: string;
  node: string;
  postgres?: string;
  /** 1-minute load averages when the benchmark started and ended: the machine may be shared. */
  load: { start: number; end?: number };
}

const quiet = (file: string, args: string[]) => {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
};

function describeDisk(dir: string): string {
  const [source, fstype, size] =
    quiet('df', ['-BG', '--output=source,fstype,size', dir]).split('\n')[1]?.trim().split(/\s+/) ?? [];
  if (!source) return 'unknown';
  const device = source.replace(/^\/dev\//, '').replace(/p?\d+$/, '');
  const rotational = `/sys/block/${device}/queue/rotational`;
  const kind = existsSync(rotational)
    ? readFileSync(rotational, 'utf8').trim() === '1'
      ? 'rotating'
      : 'non-rotating (SSD or virtual)'
    : 'unknown kind';
  return `${source} (${fstype}, ${size}B, ${kind})`;
}

export function describeMachine(benchDir: string): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    disk: describeDisk(benchDir),
    kernel: quiet('uname', ['-sr']),
    node: process.version,
    load: { start: Number(loadavg()[0]!.toFixed(2)) },
  };
}

export const loadNow = () => Number(loadavg()[0]!.toFixed(2));
