/**
 * `npm run build && node dist/scripts/benchOne.js --size-mb 100`: ONE happy v1 → v2 deployment of
 * farm-chat (snapshot, the bench's setup), its wall time and where it went, step by step — the
 * quick measurement to read before and after a change, without the whole bench.
 *
 *   --size-mb N     production's size (default 100)
 *   --layout L      in-place (default) or releases
 *   --rounds N      deployments, production back to v1 between them (default 1)
 *   --ref R         the release to deploy (default v2); `v2-schema-only` is made here: v1's tree
 *                   (its very lockfile) with v2's prisma/ folder, the same migration as v2 — the
 *                   release whose dependencies are the live tree's
 *   --reuse-live-modules true|false|alternate   install.reuseLiveModules (default: the config's
 *                   default); `alternate`: true in odd rounds, false in even ones — an A/B on a
 *                   shared machine, whose load drifts between runs
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { run } from '../src/exec/run.js';
import { createBenchDb } from './bench/recovery.js';
import { setUpWorkflowBench, type Layout } from './bench/workflow.js';
import { startPgCluster } from './lib/pgCluster.js';
import { ensureTemporalCli } from './lib/temporalCli.js';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
const started = Date.now();
const log = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
const { values } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '100' },
    layout: { type: 'string', default: 'in-place' },
    rounds: { type: 'string', default: '1' },
    ref: { type: 'string', default: 'v2' },
    'reuse-live-modules': { type: 'string' },
  },
});
const sizeMb = Number(values['size-mb']);
const rounds = Number(values.rounds);
const layout = values.layout as Layout;
if (!Number.isInteger(sizeMb) || sizeMb < 10 || !Number.isInteger(rounds) || rounds < 1)
  throw new Error('--size-mb takes a whole number of MB (at least 10), --rounds a whole number');
if (layout !== 'in-place' && layout !== 'releases') throw new Error('--layout is in-place or releases');

const SCHEMA_ONLY = 'v2-schema-only';
const gitEnv = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@farm-chat.example',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@farm-chat.example',
};
const git = (args: string[], cwd?: string) => run({ file: 'git', args, cwd, env: gitEnv, timeoutMs: 120_000 });

/** Tags v2-schema-only in the origin: v1 with v2's prisma/ (schema and migration), v1's package.json and lockfile. */
async function addSchemaOnlyRelease(origin: string, workDir: string): Promise<void> {
  await git(['clone', '-q', origin, workDir]);
  await git(['-c', 'advice.detachedHead=false', 'checkout', '-q', 'v1'], workDir);
  await git(['checkout', 'v2', '--', 'prisma'], workDir);
  await git(['commit', '-q', '-m', "v1's code and dependencies with v2's migration (benchmark)"], workDir);
  await git(['tag', '-a', SCHEMA_ONLY, '-m', 'the same dependencies as v1'], workDir);
  await git(['push', '-q', 'origin', SCHEMA_ONLY], workDir);
  rmSync(workDir, { recursive: true, force: true });
}

const cleanups: (() => Promise<unknown> | unknown)[] = [];
async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'safe-deploy-bench-one-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const temporalCli = ensureTemporalCli(projectRoot, log);
  if (!temporalCli) throw new Error('no Temporal CLI (see npm run setup)');
  const cluster = await startPgCluster({ durable: true });
  cleanups.push(() => cluster.stop());
  const db = await createBenchDb(cluster);
  const bench = await setUpWorkflowBench({ root, projectRoot, db, sizeMb, temporalCli, log });
  cleanups.push(() => bench.close());
  await bench.configure({ method: 'snapshot' }, layout);
  if (values.ref === SCHEMA_ONLY) await addSchemaOnlyRelease(join(root, 'origin.git'), join(root, 'schema-only'));
  const reuse = values['reuse-live-modules'];
  const setReuse = (on: boolean) => {
    const config = JSON.parse(readFileSync(bench.configPath, 'utf8'));
    config.apps['farm-chat'].production.install = { reuseLiveModules: on };
    writeFileSync(bench.configPath, JSON.stringify(config, null, 2));
  };
  const stageMs: Record<string, number[]> = {};
  for (let round = 1; round <= rounds; round++) {
    if (round > 1) await bench.reset();
    const on = reuse === 'alternate' ? round % 2 === 1 : reuse === undefined ? undefined : reuse === 'true';
    if (on !== undefined) setReuse(on); // the worker reads its config at each deployment's loadConfig
    const load = loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');
    const d = await bench.deploy(values.ref!);
    const t0 = Date.parse(d.report.steps[0]?.startedAt ?? new Date().toISOString());
    log(
      `round ${round}: ${d.report.outcome} in ${(d.wallMs / 1000).toFixed(1)} s (${layout}, reuseLiveModules ${on ?? 'default'}, load ${load})`,
    );
    const stage = d.report.steps.find((x) => x.name === 'stage-release');
    (stageMs[String(on ?? 'default')] ??= []).push(stage?.durationMs ?? 0);
    for (const s of d.report.steps) {
      const at = ((Date.parse(s.startedAt) - t0) / 1000).toFixed(2).padStart(6);
      const ms = ((s.durationMs ?? 0) / 1000).toFixed(2).padStart(6);
      console.log(`  +${at} s ${ms} s  ${s.phase === 'deploy' ? '' : `${s.phase} `}${s.name}: ${s.result ?? ''}`);
    }
    if (d.report.outcome !== 'deployed') throw new Error(`ended ${d.report.outcome}: ${d.report.error?.message}`);
  }
  for (const [setting, ms] of Object.entries(stageMs))
    log(`stage-release with reuseLiveModules ${setting}: ${ms.map((x) => (x / 1000).toFixed(2)).join(', ')} s`);
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(async () => {
    while (cleanups.length)
      await Promise.resolve()
        .then(cleanups.pop()!)
        .catch(() => undefined);
  });
