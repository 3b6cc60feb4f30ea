/**
 * `npm run faults`: the fault matrix on real components. Every step that changes production
 * (and three of the rollback's own) × { the activity fails with an error; the worker is SIGKILLed
 * while the step runs and a new one started; the Temporal dev server is stopped and started
 * again (same --db-filename) while the step runs }. Each case's end state is checked exactly
 * (see faults/endState.ts). Prints a table, writes reports/faults.json, and ends with
 * `fault matrix: N cases, N exact, N failed`; exits 0 only when none failed.
 *
 *   npm run faults -- --only migrate            one step (repeatable)
 *   npm run faults -- --kind kill-worker        one kind (repeatable)
 *   npm run faults -- --stations 1              one production at a time (default 2 side by side)
 *   npm run faults -- --keep                    leave the lab running for inspection
 *   npm run faults -- --stop                    stop what a --keep run left running
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { caseName, faultMatrix, type FaultCase } from './faults/cases.js';
import { createLab, stopLeftovers, type Station } from './faults/lab.js';
import { FAULT_KINDS, type FaultKind } from './faults/plan.js';
import { projectRoot } from './faults/processes.js';
import { runCase, type CaseResult } from './faults/runCase.js';
import { renderTable, summaryLine } from './faults/table.js';

const log = (line: string) => console.log(line);

const { values: args } = parseArgs({
  options: {
    only: { type: 'string', multiple: true },
    kind: { type: 'string', multiple: true },
    stations: { type: 'string', default: '2' },
    keep: { type: 'boolean', default: false },
    stop: { type: 'boolean', default: false },
  },
});

function selectCases(): FaultCase[] {
  const kinds = args.kind ?? [...FAULT_KINDS];
  const unknownKind = kinds.find((k) => !FAULT_KINDS.includes(k as FaultKind));
  if (unknownKind) throw new Error(`--kind ${unknownKind}: expected one of ${FAULT_KINDS.join(', ')}`);
  const all = faultMatrix();
  const unknownStep = (args.only ?? []).find((s) => !all.some((c) => c.step === s));
  if (unknownStep) throw new Error(`--only ${unknownStep}: expected one of ${[...new Set(all.map((c) => c.step))].join(', ')}`);
  return all.filter((c) => (!args.only || args.only.includes(c.step)) && kinds.includes(c.kind));
}

async function main(): Promise<number> {
  const started = Date.now();
  const root = projectRoot();
  const dir = join(root, '.safe-deploy', 'faults');
  if (args.stop) {
    log((await stopLeftovers(dir)) ? `stopped what the lab in ${dir} left running` : 'nothing was left running');
    return 0;
  }
  const cases = selectCases();
  const stations = Number(args.stations);
  if (!Number.isInteger(stations) || stations < 1 || stations > 4) throw new Error(`--stations ${args.stations}: expected 1 to 4`);
  log(`== fault matrix: ${cases.length} cases on ${stations} station${stations > 1 ? 's' : ''}; lab in ${dir}`);
  const lab = await createLab({ dir, log, stations });
  log(`lab ready after ${Math.round((Date.now() - started) / 1000)} s`);

  const results: CaseResult[] = new Array(cases.length);
  let done = 0;
  const runOne = async (station: Station, i: number) => {
    const c = cases[i]!;
    const say = (line: string) => log(`[${station.name}] ${caseName(c)}: ${line}`);
    say(`deploy ${c.ref}, expect ${c.expect.outcome}`);
    const r = await runCase(lab, station, c, say);
    results[i] = r;
    say(`${r.outcome} in ${r.seconds} s, ${r.exact ? 'exact' : `NOT exact\n    ${r.problems.join('\n    ')}`} (${++done}/${cases.length})`);
  };
  /** Each station takes the next case until none is left. */
  const pool = async (indexes: number[], on: Station[]) => {
    const queue = [...indexes];
    await Promise.all(on.map(async (s) => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) await runOne(s, i);
    }));
  };
  try {
    // A dev server restart hits every deployment in flight: those cases run alone, after the others.
    const indexes = cases.map((_, i) => i);
    await pool(indexes.filter((i) => cases[i]!.kind !== 'restart-server'), lab.stations);
    await pool(indexes.filter((i) => cases[i]!.kind === 'restart-server'), lab.stations.slice(0, 1));
  } finally {
    if (args.keep) {
      await lab.client.connection.close();
      log(`--keep: the lab is still running (dev server ${lab.server.address}, ${lab.stations.map((s) => `${s.environment} ${s.prod.baseUrl}`).join(', ')}); stop it with: npm run faults -- --stop`);
    } else {
      await lab.close();
    }
  }

  const seconds = Math.round((Date.now() - started) / 1000);
  log('');
  log(renderTable(results));
  const failed = results.filter((r) => !r.exact);
  for (const r of failed) log(`\n${caseName(r)} (${r.workflowId}):\n  ${r.problems.join('\n  ')}`);
  mkdirSync(join(root, 'reports'), { recursive: true });
  writeFileSync(join(root, 'reports', 'faults.json'), JSON.stringify({ finishedAt: new Date().toISOString(), seconds, stations, summary: summaryLine(results), cases: results }, null, 2) + '\n');
  log(`\ntotal ${Math.floor(seconds / 60)} min ${seconds % 60} s; table and timelines in reports/faults.json`);
  log(summaryLine(results));
  return failed.length === 0 && results.length > 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`faults failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
