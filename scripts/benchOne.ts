/**
 * `npm run build && node dist/scripts/benchOne.js --size-mb 100`: ONE happy v1 → v2 deployment of
 * farm-chat (snapshot, the bench's setup), its wall time and where it went, step by step — the
 * quick measurement to read before and after a change, without the whole bench.
 *
 *   --size-mb N     production's size (default 100)
 *   --layout L      in-place (default) or releases
 *   --rounds N      deployments, production back to v1 between them (default 1)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { BenchDb } from './bench/recovery.js';
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
  },
});
const sizeMb = Number(values['size-mb']);
const rounds = Number(values.rounds);
const layout = values.layout as Layout;
if (!Number.isInteger(sizeMb) || sizeMb < 10 || !Number.isInteger(rounds) || rounds < 1)
  throw new Error('--size-mb takes a whole number of MB (at least 10), --rounds a whole number');
if (layout !== 'in-place' && layout !== 'releases') throw new Error('--layout is in-place or releases');

const cleanups: (() => Promise<unknown> | unknown)[] = [];
async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'safe-deploy-bench-one-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const temporalCli = ensureTemporalCli(projectRoot, log);
  if (!temporalCli) throw new Error('no Temporal CLI (see npm run setup)');
  const cluster = await startPgCluster({ durable: true });
  cleanups.push(() => cluster.stop());
  const role = 'bench_app';
  const password = `bench-${Date.now().toString(36)}`;
  await cluster.query(`CREATE ROLE ${role} LOGIN CREATEDB PASSWORD '${password}'`);
  const db: BenchDb = {
    cluster,
    role,
    password,
    url: (database) => cluster.url(database, role, password),
    async query(sql, database = 'postgres') {
      const c = new pg.Client({ connectionString: cluster.url(database, role, password) });
      await c.connect();
      try {
        return (await c.query(sql)).rows;
      } finally {
        await c.end();
      }
    },
  };
  const bench = await setUpWorkflowBench({ root, projectRoot, db, sizeMb, temporalCli, log });
  cleanups.push(() => bench.close());
  await bench.configure({ method: 'snapshot' }, layout);
  for (let round = 1; round <= rounds; round++) {
    if (round > 1) await bench.reset();
    const load = loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');
    const d = await bench.deploy('v2');
    const t0 = Date.parse(d.report.steps[0]?.startedAt ?? new Date().toISOString());
    log(`round ${round}: ${d.report.outcome} in ${(d.wallMs / 1000).toFixed(1)} s (${layout}, load ${load})`);
    for (const s of d.report.steps) {
      const at = ((Date.parse(s.startedAt) - t0) / 1000).toFixed(2).padStart(6);
      const ms = ((s.durationMs ?? 0) / 1000).toFixed(2).padStart(6);
      console.log(`  +${at} s ${ms} s  ${s.phase === 'deploy' ? '' : `${s.phase} `}${s.name}: ${s.result ?? ''}`);
    }
    if (d.report.outcome !== 'deployed') throw new Error(`ended ${d.report.outcome}: ${d.report.error?.message}`);
  }
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
