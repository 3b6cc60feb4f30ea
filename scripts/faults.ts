/**
 * `npm run faults`: the fault matrix on real components. Every step that changes production
 * (and three of the rollback's own) × { the activity fails with an error; the worker is SIGKILLed
 * while the step runs and a new one started; the Temporal dev server is stopped and started
 * again (same --db-filename) while the step runs }, on a production in place backed up by dumps;
 * then the steps that differ in release directories backed up by snapshots (the copy in the
 * pause, its fingerprint beside the code steps, its dump after writes resume), on a production set
 * up so; then the online rehearsal (deployed through the station's environment that has it on);
 * then faults landed while a step's command (or its migration) runs: the station's
 * PostgreSQL stopped for 60 s or restarted in immediate mode, the worker process alone SIGKILLed
 * (cases.ts, MID_WORK_CASES). Each case's end state is checked exactly (see faults/endState.ts),
 * and no process may be left working on the station. Prints a table, writes reports/faults.json,
 * and ends with
 * `fault matrix: N cases, N exact, N failed`; exits 0 only when none failed.
 *
 *   npm run faults -- --only migrate            one step (repeatable)
 *   npm run faults -- --kind kill-worker        one kind (repeatable): error, kill-worker, restart-server,
 *                                               pg-outage, pg-restart-immediate, kill-worker-mid
 *   npm run faults -- --setup releases+snapshot one layout+method (repeatable)
 *   npm run faults -- --case rehearse/error     one case by its name (repeatable), as the table
 *                                               names it: `dump-backup/error@releases+snapshot`
 *   npm run faults -- --stations 1              one in-place production (default 3 side by side;
 *                                               releases+snapshot cases get one of their own)
 *   npm run faults -- --load 20                 the load case alone: 20 apps deployed at once through one
 *                                               worker, each checked exactly, no cross-talk, peak RSS (load.ts)
 *   npm run faults -- --server cluster          on the Temporal server `npm run cluster` runs (PostgreSQL),
 *                                               SIGKILLed by the restart-server cases (default: dev, SIGTERM)
 *   npm run faults -- --keep                    leave the lab running for inspection
 *   npm run faults -- --stop                    stop what a --keep run left running
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { caseName, faultMatrix, SETUPS, type FaultCase, type Setup } from './faults/cases.js';
import { createLab, stopLeftovers, type Station } from './faults/lab.js';
import { FAULT_KINDS, type FaultKind } from './faults/plan.js';
import { projectRoot } from './faults/processes.js';
import { runLoad } from './faults/load.js';
import { caseNotRun, runCaseLanded, type CaseResult } from './faults/runCase.js';
import { scanForSecrets, type SecretScan } from './faults/secrets.js';
import { renderTable, summaryLine } from './faults/table.js';

const log = (line: string) => console.log(line);

const { values: args } = parseArgs({
  options: {
    only: { type: 'string', multiple: true },
    kind: { type: 'string', multiple: true },
    setup: { type: 'string', multiple: true },
    case: { type: 'string', multiple: true },
    stations: { type: 'string', default: '3' },
    load: { type: 'string' },
    keep: { type: 'boolean', default: false },
    stop: { type: 'boolean', default: false },
    server: { type: 'string', default: 'dev' },
  },
});

function selectCases(): FaultCase[] {
  const kinds = args.kind ?? [...FAULT_KINDS];
  const unknownKind = kinds.find((k) => !FAULT_KINDS.includes(k as FaultKind));
  if (unknownKind) throw new Error(`--kind ${unknownKind}: expected one of ${FAULT_KINDS.join(', ')}`);
  const setups = args.setup ?? [...SETUPS];
  const unknownSetup = setups.find((x) => !SETUPS.includes(x as Setup));
  if (unknownSetup) throw new Error(`--setup ${unknownSetup}: expected one of ${SETUPS.join(', ')}`);
  const all = faultMatrix();
  const unknownStep = (args.only ?? []).find((s) => !all.some((c) => c.step === s));
  if (unknownStep)
    throw new Error(`--only ${unknownStep}: expected one of ${[...new Set(all.map((c) => c.step))].join(', ')}`);
  const unknownCase = (args.case ?? []).find((n) => !all.some((c) => caseName(c) === n));
  if (unknownCase)
    throw new Error(
      `--case ${unknownCase}: no such case (names as in the table: step/kind, @layout+method off the first)`,
    );
  return all.filter(
    (c) =>
      (!args.only || args.only.includes(c.step)) &&
      kinds.includes(c.kind) &&
      setups.includes(c.setup) &&
      (!args.case || args.case.includes(caseName(c))),
  );
}

async function main(): Promise<number> {
  const started = Date.now();
  const root = projectRoot();
  const dir = join(root, '.safe-deploy', 'faults');
  if (args.stop) {
    log((await stopLeftovers(dir)) ? `stopped what the lab in ${dir} left running` : 'nothing was left running');
    return 0;
  }
  if (args.load !== undefined) return load(Number(args.load), started, root, dir);
  const cases = selectCases();
  const stations = Number(args.stations);
  if (!Number.isInteger(stations) || stations < 1 || stations > 4)
    throw new Error(`--stations ${args.stations}: expected 1 to 4`);
  // The in-place stations always (the lab's first production is one); one releases+snapshot station if a case needs it.
  const setups: Setup[] = [
    ...Array.from({ length: stations }, () => SETUPS[0]),
    ...SETUPS.slice(1).filter((x) => cases.some((c) => c.setup === x)),
  ];
  log(
    `== fault matrix: ${cases.length} cases on ${setups.length} station${setups.length > 1 ? 's' : ''} (${setups.join(', ')}); lab in ${dir}`,
  );
  if (args.server !== 'dev' && args.server !== 'cluster')
    throw new Error(`--server ${args.server}: expected dev or cluster`);
  const lab = await createLab({ dir, log, setups, server: args.server });
  log(`lab ready after ${Math.round((Date.now() - started) / 1000)} s`);

  const results: CaseResult[] = new Array(cases.length);
  let secrets: SecretScan | undefined;
  let done = 0;
  const broken = new Set<Station>();
  const runOne = async (station: Station, i: number) => {
    const c = cases[i]!;
    const say = (line: string) => log(`[${station.name}] ${caseName(c)}: ${line}`);
    say(`deploy ${c.ref}, expect ${c.expect.outcome}`);
    const r = await runCaseLanded(lab, station, c, say).catch((err: Error): CaseResult => ({
      ...caseNotRun(c, station, '-'),
      problems: [`the runner failed: ${err.stack ?? err.message}`],
      stationBroken: true,
    }));
    results[i] = r;
    if (r.stationBroken) broken.add(station);
    say(
      `${r.outcome} in ${r.seconds} s, ${r.exact ? 'exact' : `NOT exact\n    ${r.problems.join('\n    ')}`} (${++done}/${cases.length})`,
    );
  };
  /** Longest first, so that no station is left with a 2-minute outage case while the others idle. */
  const weight = (c: FaultCase) =>
    (c.kind === 'pg-outage' ? 4 : c.kind.startsWith('kill-worker') ? 2 : 1) + (c.ref === 'v2' ? 0 : 1);
  /** Each station takes the next case of its setup until none is left. */
  const pool = async (indexes: number[], on: Station[]) => {
    const queue = [...indexes].sort((x, y) => weight(cases[y]!) - weight(cases[x]!));
    const next = (s: Station) => {
      const at = queue.findIndex((i) => cases[i]!.setup === s.setup);
      return at < 0 ? undefined : queue.splice(at, 1)[0];
    };
    await Promise.all(
      on.map(async (s) => {
        for (let i = broken.has(s) ? undefined : next(s); i !== undefined; i = broken.has(s) ? undefined : next(s))
          await runOne(s, i);
      }),
    );
  };
  try {
    // A dev server restart hits every deployment in flight: those cases run alone, one at a time, after the others
    // (a PostgreSQL fault hits only its station's own cluster: those run beside the others).
    const indexes = cases.map((_, i) => i);
    await pool(
      indexes.filter((i) => cases[i]!.kind !== 'restart-server'),
      lab.stations,
    );
    for (const i of indexes.filter((i) => cases[i]!.kind === 'restart-server')) {
      const station = lab.stations.find((s) => s.setup === cases[i]!.setup && !broken.has(s));
      if (station) await runOne(station, i);
    }
    // Cases no station could take (every station of their setup broke) are failures too.
    for (const [i, c] of cases.entries()) {
      results[i] ??= {
        step: c.step,
        kind: c.kind,
        setup: c.setup,
        expected: c.expect.outcome,
        outcome: '-',
        exact: false,
        seconds: 0,
        landed: '-',
        attempts: 0,
        workflowId: '-',
        station: '-',
        timeline: [],
        problems: ['not run: every station of its setup broke'],
      };
    }
    secrets = await scanForSecrets(
      lab,
      results.filter((r) => r.workflowId !== '-').map((r) => r.workflowId),
    );
  } finally {
    if (args.keep) {
      await lab.client.connection.close();
      log(
        `--keep: the lab is still running (dev server ${lab.server.address}, ${lab.stations.map((s) => `${s.environment} ${s.prod.baseUrl}`).join(', ')}); stop it with: npm run faults -- --stop`,
      );
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
  writeFileSync(
    join(root, 'reports', 'faults.json'),
    JSON.stringify(
      {
        finishedAt: new Date().toISOString(),
        seconds,
        stations,
        summary: summaryLine(results),
        secrets: secrets!.line,
        leaks: secrets!.leaks,
        cases: results,
      },
      null,
      2,
    ) + '\n',
  );
  log(`\ntotal ${Math.floor(seconds / 60)} min ${seconds % 60} s; table and timelines in reports/faults.json`);
  log(secrets!.line);
  for (const leak of secrets!.leaks) log(`  ${leak}`);
  log(summaryLine(results));
  return failed.length === 0 && results.length > 0 && secrets!.leaks.length === 0 ? 0 : 1;
}

/** `--load N`: a lab with one production (the v1 everything is copied from), then the load case. */
async function load(n: number, started: number, root: string, dir: string): Promise<number> {
  if (!Number.isInteger(n) || n < 1 || n > 50) throw new Error(`--load ${args.load}: expected 1 to 50 apps`);
  log(`== fault matrix, load case: ${n} apps deployed at once through one worker; lab in ${dir}`);
  const lab = await createLab({ dir, log, setups: ['in-place+dump'] });
  log(`lab ready after ${Math.round((Date.now() - started) / 1000)} s`);
  let r: Awaited<ReturnType<typeof runLoad>>;
  try {
    r = await runLoad(lab, n, log);
  } finally {
    if (args.keep) {
      await lab.client.connection.close();
      log('--keep: the lab is still running; stop it with: npm run faults -- --stop');
    } else {
      await lab.close();
    }
  }
  const seconds = Math.round((Date.now() - started) / 1000);
  log('');
  log(renderTable(r.results));
  for (const x of r.results.filter((y) => !y.exact))
    log(`\n${x.step} (${x.workflowId}):\n  ${x.problems.join('\n  ')}`);
  mkdirSync(join(root, 'reports'), { recursive: true });
  writeFileSync(
    join(root, 'reports', 'faults-load.json'),
    JSON.stringify(
      {
        finishedAt: new Date().toISOString(),
        seconds,
        apps: n,
        load: r.line,
        summary: summaryLine(r.results),
        secrets: r.secretsLine,
        leaks: r.leaks,
        cases: r.results,
      },
      null,
      2,
    ) + '\n',
  );
  log(
    `\ntotal ${Math.floor(seconds / 60)} min ${seconds % 60} s (the lab and ${n} productions set up included); table in reports/faults-load.json`,
  );
  log(r.line);
  log(r.secretsLine);
  for (const leak of r.leaks) log(`  ${leak}`);
  log(summaryLine(r.results));
  return r.results.every((x) => x.exact) && r.leaks.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`faults failed: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
