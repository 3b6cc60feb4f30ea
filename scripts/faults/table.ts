/** The matrix as people read it: one row per case, then the summary line. */
import type { CaseResult } from './runCase.js';

export function summaryLine(results: CaseResult[]): string {
  const exact = results.filter((r) => r.exact).length;
  return `fault matrix: ${results.length} cases, ${exact} exact, ${results.length - exact} failed`;
}

export function renderTable(results: CaseResult[]): string {
  const header = [
    'step',
    'fault',
    'layout+method',
    'where it landed',
    'attempts',
    'expected',
    'outcome',
    'exact',
    'seconds',
  ];
  const rows = results.map((r) => [
    r.step,
    r.kind,
    r.setup,
    r.landed,
    String(r.attempts),
    r.expected,
    r.outcome,
    r.exact ? 'yes' : 'NO',
    String(r.seconds),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
