/**
 * `npm run bench -- --size-mb 1024`: what a failed deployment costs, measured on this machine.
 *
 *   --size-mb N        the database size for the headline figures and the workflow runs (default 1024)
 *   --sizes a,b,c      sizes for the recovery chart (default 100,500 and --size-mb)
 *   --scaling a,b      other sizes for the write pause's scaling table: one happy deployment each
 *                      (default 100,4096; `--scaling none` for none), beside --size-mb's
 *   --skip-workflow    recovery and lint only (no Temporal, no worker, no app)
 *
 * It builds farm-chat databases of those sizes in a throwaway PostgreSQL 15 cluster (fsync on),
 * measures recovery by the runbook (pg_dump + psql), by the dump method and by the snapshot
 * method; then, through a real dev server, worker and farm-chat production, a full rollback per
 * method and code layout (in place, release directories), a happy deployment against the same
 * activity calls run as a bare script, the same deployment under writes policy detect (how long its
 * readings of others' writes slept: goal 0), how long writes were paused (at --size-mb with both methods, and
 * at the --scaling sizes with snapshot), and the worker's peak memory; then the migration lint. It prints tables and eight closing
 * lines, writes reports/bench.json and reports/bench.md, and draws docs/bench/recovery.png.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { ensureRsvgConvert, recoveryChartSvg, writePng } from './bench/chart.js';
import { measureLint } from './bench/lint.js';
import { describeMachine, loadNow } from './bench/machine.js';
import {
  createBenchDb,
  measureRecovery,
  measureStrategies,
  type RecoveryRow,
  type StrategyRow,
} from './bench/recovery.js';
import { activityCalls, activityTime, replay, statisticsWaitMs } from './bench/replay.js';
import {
  finalLines,
  goalLines,
  machineLine,
  rollbackRun,
  stepTimes,
  summarise,
  tables,
  writePause,
  type BenchResults,
  type DetectRun,
  type HappyRun,
  type RollbackRun,
  type ScalingRun,
} from './bench/results.js';
import type { DeploymentReport } from '../src/shared/report.js';
import { applyFarmChatSchema, fillFarmChatDatabase } from './bench/sampleData.js';
import { FAILS_VERIFICATION, LAYOUTS, setUpWorkflowBench } from './bench/workflow.js';
import { startPgCluster } from './lib/pgCluster.js';
import { ensureTemporalCli } from './lib/temporalCli.js';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url)); // dist/scripts/bench.js → project root
const started = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);

const { values } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '1024' },
    sizes: { type: 'string' },
    scaling: { type: 'string', default: '100,4096' },
    'skip-workflow': { type: 'boolean', default: false },
  },
});
const sizeMb = Number(values['size-mb']);
const sizes = [...new Set([...(values.sizes ? values.sizes.split(',').map(Number) : [100, 500]), sizeMb])].sort(
  (a, b) => a - b,
);
const scalingSizes =
  values.scaling === 'none'
    ? []
    : [...new Set(values.scaling!.split(',').map(Number))].filter((x) => x !== sizeMb).sort((a, b) => a - b);
if (
  !Number.isInteger(sizeMb) ||
  sizeMb < 10 ||
  [...sizes, ...scalingSizes].some((s) => !Number.isInteger(s) || s < 10)
) {
  console.error('--size-mb, --sizes and --scaling take whole numbers of MB, at least 10');
  process.exit(2);
}
const skipWorkflow = values['skip-workflow']!;
/** What to stop on the way out, newest first: also on Ctrl-C. */
const cleanups: (() => Promise<unknown> | unknown)[] = [];
async function cleanUp(): Promise<void> {
  while (cleanups.length)
    await Promise.resolve()
      .then(cleanups.pop()!)
      .catch(() => undefined);
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'safe-deploy-bench-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const machine = describeMachine(root);
  log(
    `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGb} GB, load ${machine.load.start}; sizes ${sizes.join(', ')} MB; workflow at ${skipWorkflow ? '(skipped)' : `${sizeMb} MB`}`,
  );
  ensureRsvgConvert(log); // up front: a missing chart tool must not waste a whole run
  const temporalCli = skipWorkflow ? undefined : ensureTemporalCli(projectRoot, log);
  if (!skipWorkflow && !temporalCli)
    throw new Error('no Temporal CLI (see npm run setup); or run with --skip-workflow');

  const cluster = await startPgCluster({ durable: true });
  cleanups.push(() => cluster.stop());
  const db = await createBenchDb(cluster);
  const version = (await cluster.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version;
  const settings = Object.fromEntries(
    (
      await cluster.query<{ name: string; setting: string }>(
        `SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'full_page_writes', 'shared_buffers', 'max_wal_size', 'synchronous_commit')`,
      )
    ).rows.map((r) => [r.name, r.setting]),
  );
  let bench: Awaited<ReturnType<typeof setUpWorkflowBench>> | undefined;
  if (!skipWorkflow) {
    log(`== farm-chat production of ${sizeMb} MB, a dev server and a worker`);
    bench = await setUpWorkflowBench({ root, projectRoot, db, sizeMb, temporalCli: temporalCli!, log });
    cleanups.push(() => bench!.close());
  }
  {
    log('== recovery, by size and method');
    const recovery: RecoveryRow[] = [];
    const strategies: StrategyRow[] = [];
    for (const size of sizes) {
      const database = `bench_${size}`;
      if (bench && size === sizeMb) {
        // The production database's pristine copy: the same rows the workflow runs deploy over.
        await db.query(`CREATE DATABASE "${database}" TEMPLATE "farm_chat_pristine" STRATEGY FILE_COPY`);
      } else {
        await db.query(`CREATE DATABASE "${database}"`);
        const c = new pg.Client({ connectionString: db.url(database) });
        await c.connect();
        try {
          await applyFarmChatSchema(c);
          const f = await fillFarmChatDatabase(c, { targetBytes: size * 1024 * 1024 });
          log(`${database}: ${f.users} users, ${f.messages} messages in ${(f.durationMs / 1000).toFixed(0)} s`);
        } finally {
          await c.end();
        }
      }
      log(`${database} (${size} MB):`);
      recovery.push(...(await measureRecovery(db, database, root, size, log)));
      strategies.push(...(await measureStrategies(db, database, size)));
      await cluster.query(`DROP DATABASE "${database}" WITH (FORCE)`);
    }

    let workflow: BenchResults['workflow'];
    if (bench) {
      log(`== through the workflow, ${sizeMb} MB`);
      // Workflow, then the same activity calls as a bare script, three times over. The machine may
      // be shared: each round's pair runs back to back, and the median of the rounds' ratios counts.
      const rounds: (HappyRun['rounds'][number] & { report: DeploymentReport })[] = [];
      let first: Awaited<ReturnType<typeof bench.deploy>> | undefined;
      await bench.configure({ method: 'snapshot' }, LAYOUTS[0]!);
      bench.rss.reset();
      for (let round = 1; round <= 3; round++) {
        const happy = await bench.deploy('v2');
        if (happy.report.outcome !== 'deployed')
          throw new Error(`the happy deployment ended ${happy.report.outcome}: ${happy.report.error?.message}`);
        first ??= happy;
        const inRun = await activityTime(happy.handle);
        await bench.reset();
        const bare = await replay(await activityCalls(happy.handle), bench.configPath);
        await bench.reset();
        rounds.push({
          workflowMs: happy.wallMs,
          bareMs: bare.wallMs,
          activityMs: inRun.activityMs,
          workflowSpanMs: inRun.workflowMs,
          steps: stepTimes(happy.report, 'deploy'),
          bareSteps: bare.steps,
          report: happy.report,
        });
        log(
          `round ${round}: happy deployment (snapshot) ${(happy.wallMs / 1000).toFixed(1)} s through the workflow, ${(bare.wallMs / 1000).toFixed(1)} s as a bare script`,
        );
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const mid = rounds.find((x) => x.workflowMs / x.bareMs === median(rounds.map((y) => y.workflowMs / y.bareMs)))!;
      const pause = writePause(mid.report);
      const happyRun: HappyRun = {
        method: 'snapshot',
        layout: LAYOUTS[0]!,
        workflowMs: mid.workflowMs,
        bareMs: mid.bareMs,
        overhead: mid.workflowMs / mid.bareMs,
        rounds: rounds.map(({ report: _r, ...x }) => x),
        steps: mid.steps,
        bareSteps: mid.bareSteps,
        snapshotClosedMs: first!.report.backup?.snapshot?.closedMs,
        pausedMs: pause.ms,
        pauseSteps: pause.steps,
      };
      log(
        `writes paused ${(pause.ms / 1000).toFixed(1)} s in the median round: ${pause.steps.map((x) => `${x.name} ${(x.ms / 1000).toFixed(1)}`).join(', ')}`,
      );
      const scaling: ScalingRun[] = [
        {
          sizeMb,
          databaseBytes: bench.databaseBytes,
          method: 'snapshot',
          pausedMs: pause.ms,
          deploymentMs: mid.workflowMs,
          pauseSteps: pause.steps,
        },
      ];
      // The dump method's pause at the same size: its floor is the dump itself (its locks would hold the migration).
      await bench.configure({ method: 'dump' }, LAYOUTS[0]!);
      const dumped = await bench.deploy('v2');
      if (dumped.report.outcome !== 'deployed')
        throw new Error(`the dump-method deployment ended ${dumped.report.outcome}: ${dumped.report.error?.message}`);
      const dumpPause = writePause(dumped.report);
      scaling.push({
        sizeMb,
        databaseBytes: bench.databaseBytes,
        method: 'dump',
        pausedMs: dumpPause.ms,
        deploymentMs: dumped.wallMs,
        pauseSteps: dumpPause.steps,
      });
      log(
        `happy deployment (dump): ${(dumped.wallMs / 1000).toFixed(1)} s, writes paused ${(dumpPause.ms / 1000).toFixed(1)} s`,
      );
      await bench.reset();
      // The same deployment under writes policy detect: writes never pause, and reading who wrote
      // since the backup must not sleep for PostgreSQL's statistics.
      await bench.configure({ method: 'snapshot' }, LAYOUTS[0]!, 'detect');
      const detected = await bench.deploy('v2');
      if (detected.report.outcome !== 'deployed')
        throw new Error(`the detect deployment ended ${detected.report.outcome}: ${detected.report.error?.message}`);
      const waits = await statisticsWaitMs(detected.handle);
      const detect: DetectRun = {
        workflowMs: detected.wallMs,
        statisticsWaitMs: waits.ms,
        readings: waits.readings,
        steps: stepTimes(detected.report, 'deploy'),
      };
      log(
        `happy deployment (snapshot, writes policy detect): ${(detected.wallMs / 1000).toFixed(1)} s; ${waits.readings} readings of others' writes slept ${(waits.ms / 1000).toFixed(1)} s`,
      );
      await bench.reset();
      const rollbacks: RollbackRun[] = [];
      for (const layout of LAYOUTS) {
        for (const method of ['dump', 'snapshot'] as const) {
          await bench.configure({ method }, layout);
          const d = await bench.deploy(FAILS_VERIFICATION);
          const r = rollbackRun(d.report, method, layout, d.wallMs);
          log(
            `full rollback (${method}, ${layout}): ${(r.failureToVerifiedMs / 1000).toFixed(1)} s from the failed verification to v1 verified`,
          );
          rollbacks.push(r);
          await bench.clearBackups();
        }
      }
      const workerPeakRssBytes = bench.rss.peakBytes();
      // The pause against the database's size: production grown afresh to each size, one happy deployment.
      for (const size of scalingSizes) {
        const bytes = await bench.resize(size);
        await bench.configure({ method: 'snapshot' }, LAYOUTS[0]!);
        const d = await bench.deploy('v2');
        if (d.report.outcome !== 'deployed')
          throw new Error(`the ${size} MB deployment ended ${d.report.outcome}: ${d.report.error?.message}`);
        const p = writePause(d.report);
        scaling.push({
          sizeMb: size,
          databaseBytes: bytes,
          method: 'snapshot',
          pausedMs: p.ms,
          deploymentMs: d.wallMs,
          pauseSteps: p.steps,
        });
        log(
          `${size} MB: happy deployment (snapshot) ${(d.wallMs / 1000).toFixed(1)} s, writes paused ${(p.ms / 1000).toFixed(1)} s`,
        );
        await bench.reset();
      }
      workflow = {
        sizeMb,
        databaseBytes: bench.databaseBytes,
        happy: happyRun,
        rollbacks,
        workerPeakRssBytes,
        detect,
        scaling,
      };
    }

    log('== migration lint');
    const lint = measureLint(10_000);
    machine.load.end = loadNow();
    const partial = {
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      options: { sizeMb, sizes, scaling: scalingSizes, skipWorkflow },
      machine,
      postgres: { version, settings },
      recovery,
      strategies,
      workflow,
      lint,
    };
    const results: BenchResults = { ...partial, summary: summarise(partial) };

    const chart = recoveryChartSvg(results);
    mkdirSync(join(projectRoot, 'reports'), { recursive: true });
    writePng(chart, join(projectRoot, 'reports', 'recovery.svg'), join(projectRoot, 'docs', 'bench', 'recovery.png'));
    writeFileSync(join(projectRoot, 'reports', 'bench.json'), JSON.stringify(results, null, 2) + '\n');
    const markdown = [
      `Measured on ${machineLine(results)}.`,
      '',
      ...tables(results),
      '',
      ...goalLines(results.summary),
    ];
    writeFileSync(join(projectRoot, 'reports', 'bench.md'), markdown.join('\n') + '\n');

    console.log('');
    console.log(markdown.join('\n'));
    console.log('');
    console.log(
      `wrote reports/bench.json, reports/bench.md and docs/bench/recovery.png in ${((Date.now() - started) / 60_000).toFixed(1)} minutes`,
    );
    await cleanUp();
    console.log(finalLines(results).join('\n'));
  }
}

process.once('SIGINT', () => {
  console.error('interrupted: stopping what the benchmark started');
  void cleanUp().finally(() => process.exit(130));
});

main().then(
  () => process.exit(0),
  async (err) => {
    console.error(`bench failed: ${(err as Error).stack ?? err}`);
    await cleanUp();
    process.exit(1);
  },
);
