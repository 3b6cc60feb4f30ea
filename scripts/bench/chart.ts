/**
 * The recovery chart: an SVG drawn here (no charting library), turned into a PNG by librsvg's
 * rsvg-convert, which the benchmark installs with apt when it is missing (Debian: librsvg2-bin).
 */
import { execFileSync } from 'node:child_process';
import type { BenchResults } from './results.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Series {
  name: string;
  colour: string;
  points: { x: number; y: number }[];
}

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A tidy upper bound for an axis: 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × a power of ten. */
function niceMax(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v || 1));
  return [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10].map((m) => m * p).find((m) => m >= v)!;
}

export function lineChartSvg(o: {
  title: string;
  subtitle: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
}): string {
  const W = 900,
    H = 520,
    left = 80,
    right = 40,
    top = 70,
    bottom = 70;
  const pw = W - left - right,
    ph = H - top - bottom;
  const all = o.series.flatMap((s) => s.points);
  const xMax = niceMax(Math.max(...all.map((p) => p.x)));
  const yMax = niceMax(Math.max(...all.map((p) => p.y)) * 1.1);
  const X = (x: number) => left + (x / xMax) * pw;
  const Y = (y: number) => top + ph - (y / yMax) * ph;
  // 4 to 6 steps, whichever makes a round step (1, 2, 2.5 or 5 × a power of ten).
  const ticks = (max: number) => {
    const round = (step: number) =>
      [1, 2, 2.5, 5].some((m) => Math.abs(step / 10 ** Math.floor(Math.log10(step)) - m) < 1e-9);
    const steps = [5, 6, 4].find((n) => round(max / n)) ?? 5;
    return Array.from({ length: steps + 1 }, (_, i) => (max * i) / steps);
  };
  const fmt = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(1));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, sans-serif">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${left}" y="30" font-size="20" font-weight="bold" fill="#222">${escape(o.title)}</text>`,
    `<text x="${left}" y="52" font-size="13" fill="#555">${escape(o.subtitle)}</text>`,
  ];
  for (const t of ticks(yMax)) {
    parts.push(
      `<line x1="${left}" y1="${Y(t)}" x2="${left + pw}" y2="${Y(t)}" stroke="#e4e4e4"/>`,
      `<text x="${left - 8}" y="${Y(t) + 4}" font-size="12" text-anchor="end" fill="#444">${fmt(t)}</text>`,
    );
  }
  for (const t of ticks(xMax)) {
    parts.push(
      `<line x1="${X(t)}" y1="${top + ph}" x2="${X(t)}" y2="${top + ph + 5}" stroke="#888"/>`,
      `<text x="${X(t)}" y="${top + ph + 20}" font-size="12" text-anchor="middle" fill="#444">${fmt(t)}</text>`,
    );
  }
  parts.push(
    `<line x1="${left}" y1="${top + ph}" x2="${left + pw}" y2="${top + ph}" stroke="#888"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + ph}" stroke="#888"/>`,
    `<text x="${left + pw / 2}" y="${H - 20}" font-size="14" text-anchor="middle" fill="#222">${escape(o.xLabel)}</text>`,
    `<text x="22" y="${top + ph / 2}" font-size="14" text-anchor="middle" fill="#222" transform="rotate(-90 22 ${top + ph / 2})">${escape(o.yLabel)}</text>`,
  );
  parts.push(
    `<rect x="${left + 10}" y="${top + 6}" width="260" height="${o.series.length * 24 + 6}" fill="#ffffff" stroke="#dddddd"/>`,
  );
  o.series.forEach((s, i) => {
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    parts.push(
      `<polyline fill="none" stroke="${s.colour}" stroke-width="3" points="${pts.map((p) => `${X(p.x).toFixed(1)},${Y(p.y).toFixed(1)}`).join(' ')}"/>`,
    );
    for (const p of pts) {
      // The first series' values go left of its points, the others' right: close lines stay readable.
      const [dx, anchor] = i === 0 ? [-8, 'end'] : [8, 'start'];
      parts.push(
        `<circle cx="${X(p.x).toFixed(1)}" cy="${Y(p.y).toFixed(1)}" r="4.5" fill="${s.colour}"/>`,
        `<text x="${(X(p.x) + dx).toFixed(1)}" y="${(Y(p.y) - 9).toFixed(1)}" font-size="12" text-anchor="${anchor}" fill="${s.colour}">${p.y < 10 ? p.y.toFixed(2) : p.y.toFixed(1)} s</text>`,
      );
    }
    // The legend sits top left, where rising lines leave room.
    const ly = top + 20 + i * 24;
    parts.push(
      `<line x1="${left + 20}" y1="${ly}" x2="${left + 48}" y2="${ly}" stroke="${s.colour}" stroke-width="3"/>`,
      `<text x="${left + 56}" y="${ly + 4}" font-size="13" fill="#222">${escape(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** rsvg-convert, installed with apt when missing (the benchmark runs on Debian or Ubuntu hosts). */
export function ensureRsvgConvert(log: (line: string) => void): string {
  const has = () => {
    try {
      execFileSync('rsvg-convert', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (has()) return 'rsvg-convert';
  const asRoot = process.getuid?.() === 0 ? [] : ['sudo', '-n'];
  log('installing librsvg2-bin (rsvg-convert) with apt-get, to draw the chart');
  const apt = (args: string[]) =>
    execFileSync(asRoot[0] ?? 'apt-get', [...asRoot.slice(1), ...(asRoot.length ? ['apt-get'] : []), ...args], {
      stdio: 'ignore',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  try {
    apt(['install', '-y', '--no-install-recommends', 'librsvg2-bin']);
  } catch {
    apt(['update']);
    apt(['install', '-y', '--no-install-recommends', 'librsvg2-bin']);
  }
  if (!has()) throw new Error('rsvg-convert is still missing after apt-get install librsvg2-bin');
  return 'rsvg-convert';
}

export function writePng(svg: string, svgPath: string, pngPath: string): void {
  mkdirSync(dirname(svgPath), { recursive: true });
  mkdirSync(dirname(pngPath), { recursive: true });
  writeFileSync(svgPath, svg);
  execFileSync('rsvg-convert', ['--format=png', `--output=${pngPath}`, svgPath]);
}

/** The README's chart: recovery time against database size, one line per method. */
export function recoveryChartSvg(r: Pick<BenchResults, 'machine' | 'postgres' | 'recovery'>): string {
  return lineChartSvg({
    title: 'Getting the database back after a failed deployment',
    subtitle: `farm-chat sample database; ${r.machine.cores} cores (${r.machine.cpu}), PostgreSQL ${r.postgres.version.split(' ')[0]}, fsync on; load average ${r.machine.load.start}–${r.machine.load.end}`,
    xLabel: 'database size (MB)',
    yLabel: 'recovery time (s)',
    series: (['runbook', 'dump', 'snapshot'] as const).map((method, i) => ({
      name: {
        runbook: 'runbook: pg_dump + psql',
        dump: 'dump: pg_restore -j2, proven',
        snapshot: 'snapshot: rename, sealed',
      }[method],
      colour: ['#c0392b', '#2e86c1', '#27ae60'][i]!,
      points: r.recovery
        .filter((x) => x.method === method)
        .map((x) => ({ x: x.databaseBytes / 1048576, y: x.recoveryMs / 1000 })),
    })),
  });
}
