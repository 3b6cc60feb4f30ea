/**
 * What "exact" means, checked on the real components after each case:
 *  - rolled back or aborted: the database equals the fingerprint taken before the deployment
 *    (normalised `pg_dump --schema-only`, `_prisma_migrations`, rows and content checksum per
 *    table), once the rows the rollback's own smoke checks registered are taken out — exactly
 *    those, found by their known email and body; code at v1 and clean; node_modules exactly
 *    v1's lockfile (xml2js gone); v1 restarted (a rollback) and passing the deployment's checks;
 *  - deployed: the database has the v2 reference's schema, migrations and tables, every row of
 *    every table as it was (v1's columns) besides v2's new migration row and the smoke rows of
 *    its verification; code at v2 and clean; node_modules exactly v2's lockfile (xml2js there);
 *    v2 restarted and passing the deployment's checks (Satshot included); maintenance off; the
 *    backup as the station's method leaves it (the dump whole, as the report says; for a
 *    snapshot, also its off-server dump, taken after writes resumed);
 *  - always: the report's decisions exactly the gate the runner answered (by 'faults'), if
 *    any; no rehearsal copy left; where asked, writes never paused (a failed online rehearsal),
 *    or the rehearsal reported before writes paused.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { captureState, diffStates } from '../../src/postgres/state.js';
import type { DatabaseState } from '../../src/shared/databaseState.js';
import { compareWithLockfile } from '../../src/activities/dependencies.js';
import { fingerprintPath } from '../../src/release/files.js';
import { runHttpChecks } from '../../src/activities/http.js';
import { ownDatabaseName } from '../../src/postgres/ownDatabases.js';
import { parseDatabaseUrl } from '../../src/commands/pg.js';
import { releaseManifestSchema } from '../../src/config/schema.js';
import { run } from '../../src/exec/run.js';
import type { DeploymentReport } from '../../src/shared/report.js';
import type { FarmChatProduction } from '../lib/farmChat.js';
import { FARM_CHAT_CHECKS } from '../lib/farmChatConfig.js';
import { appPid, projectedChecksum, schemaDump, withClient, withoutRows, type Baseline } from './dbFingerprint.js';
import { expectedSmokeRuns, smokeProblems, type SmokeRows } from './smokeRows.js';

/** The end a case must reach. */
export interface Expectation {
  outcome: 'deployed' | 'rolled-back' | 'aborted';
  /** report.error.type (and step) for a rollback or an abort. */
  errorType?: string;
  errorStep?: string;
  /** Whether the rollback must have put the backup back (true once migrate may have run). */
  databaseRestored?: boolean;
  /** What it must have put back then: the dump, or the snapshot (the station's backup method). */
  restoredFrom?: 'dump' | 'snapshot';
  /** Writes never paused: the deployment ended before stop-writes ran (an online rehearsal failed). */
  writesNeverPaused?: boolean;
  /** The migration was rehearsed on a copy first: the report's rehearsal is there, its step ok before writes paused. */
  rehearsed?: boolean;
  /** The station's backup method: a deployed case must leave its backup whole (for a snapshot, its off-server dump too). */
  backupMethod?: 'dump' | 'snapshot';
  /** A gate the deployment asked at, and the decision the report must record (the runner's, by 'faults'); no other may be there. */
  decided?: { gate: string; decision: 'approved' | 'rejected' };
}

export interface EndStateFacts {
  /** Verification run id → how many attempts ran (from the event history). */
  verifications: Map<string, number>;
}

/** Every package of the lockfile installed at its locked version, nothing else at the top level. */
export async function dependencyProblems(appDir: string): Promise<string[]> {
  const lockFile = join(appDir, 'package-lock.json');
  if (!existsSync(lockFile)) return ['no package-lock.json'];
  const lock = JSON.parse(readFileSync(lockFile, 'utf8')) as {
    packages?: Record<string, { version?: string; optional?: boolean; link?: boolean }>;
  };
  const problems: string[] = [];
  for (const [key, entry] of Object.entries(lock.packages ?? {})) {
    if (!key.startsWith('node_modules/') || entry.link) continue;
    const manifest = join(appDir, key, 'package.json');
    if (!existsSync(manifest)) {
      if (!entry.optional) problems.push(`${key} missing`);
      continue;
    }
    const version = (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version;
    if (version !== entry.version) problems.push(`${key} is ${version}, the lockfile says ${entry.version}`);
  }
  const { extraneous } = await compareWithLockfile(appDir);
  for (const name of extraneous) problems.push(`node_modules/${name} is not in the lockfile`);
  return problems;
}

async function gitProblems(prod: FarmChatProduction, commit: string, name: string): Promise<string[]> {
  const head = (await run({ file: 'git', args: ['rev-parse', 'HEAD'], cwd: prod.appDir })).stdout.trim();
  const status = (await run({ file: 'git', args: ['status', '--porcelain'], cwd: prod.appDir })).stdout.trim();
  const problems: string[] = [];
  if (head !== commit) problems.push(`code: HEAD ${head.slice(0, 12)}, expected ${name} ${commit.slice(0, 12)}`);
  if (status) problems.push(`code: working copy not clean: ${status.split('\n').slice(0, 3).join('; ')}`);
  return problems;
}

/** The app as users see it: the release's version, restarted or not, maintenance off, the deployment's checks passing. */
async function appProblems(
  prod: FarmChatProduction,
  o: { version: string; satshot: boolean; restarted: boolean; baselinePid: number; checkRunId: string },
): Promise<string[]> {
  const problems: string[] = [];
  const health = await fetch(`${prod.baseUrl}/health`, { signal: AbortSignal.timeout(10_000) })
    .then(async (r) => ({ status: r.status, json: (await r.json().catch(() => ({}))) as { version?: string } }))
    .catch((e: Error) => ({ status: 0, json: { error: e.message } as { version?: string } }));
  if (health.status !== 200 || health.json.version !== o.version)
    problems.push(`app: /health ${health.status} ${JSON.stringify(health.json)}, expected 200 version ${o.version}`);
  const satshot = (
    await fetch(`${prod.baseUrl}/integrations/satshot`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined)
  )?.status;
  if (satshot !== (o.satshot ? 200 : 404))
    problems.push(`app: /integrations/satshot answered ${satshot}, expected ${o.satshot ? 200 : 404}`);
  if (existsSync(join(prod.runDir, 'maintenance'))) problems.push('app: still in maintenance (writes paused)');
  const pid = appPid(prod);
  if (o.restarted && pid === o.baselinePid) problems.push(`app: not restarted (pid ${pid} as before)`);
  if (!o.restarted && pid !== o.baselinePid)
    problems.push(`app: restarted (pid ${o.baselinePid} → ${pid}) though nothing was deployed`);
  // The deployment's own checks (the release's manifest included), without the maintenance bypass: writes must be open.
  const manifestFile = join(prod.appDir, '.safe-deploy.json');
  const manifestChecks = existsSync(manifestFile)
    ? releaseManifestSchema.parse(JSON.parse(readFileSync(manifestFile, 'utf8'))).checks
    : [];
  const results = await runHttpChecks(prod.baseUrl, [...FARM_CHAT_CHECKS, ...manifestChecks], o.checkRunId);
  for (const r of results.filter((x) => !x.ok)) problems.push(`app: check ${r.name} failed: ${r.detail}`);
  return problems;
}

/** The report says what happened, as expected. */
function reportProblems(report: DeploymentReport, e: Expectation): string[] {
  const problems: string[] = [];
  if (report.outcome !== e.outcome)
    return [
      `outcome ${report.outcome}, expected ${e.outcome}${report.error ? ` (${report.error.type} at ${report.error.step}: ${report.error.message.slice(0, 300)})` : ''}`,
    ];
  const decisions = report.decisions.map((d) => `${d.gate} ${d.decision}${d.by ? ` by ${d.by}` : ''}`);
  const expectedDecisions = e.decided ? [`${e.decided.gate} ${e.decided.decision} by faults`] : [];
  if (JSON.stringify(decisions) !== JSON.stringify(expectedDecisions))
    problems.push(`report: decisions ${JSON.stringify(decisions)}, expected ${JSON.stringify(expectedDecisions)}`);
  if (e.writesNeverPaused && (report.writes || report.steps.some((s) => s.name === 'stop-writes')))
    problems.push(
      `report: writes were paused (${report.steps.find((s) => s.name === 'stop-writes')?.status ?? 'report.writes'}), expected never`,
    );
  if (e.rehearsed) {
    const rehearse = report.steps.findLast((s) => s.name === 'rehearse');
    const pause = report.steps.find((s) => s.name === 'stop-writes');
    if (!report.rehearsal || rehearse?.status !== 'ok')
      problems.push(`report: no rehearsal (step ${rehearse?.status ?? 'absent'})`);
    else if (!report.rehearsal.migrations.length) problems.push('report: the rehearsal migrated nothing');
    if (rehearse && pause && pause.startedAt < rehearse.startedAt)
      problems.push('report: the rehearsal ran after writes paused');
  }
  if (e.outcome === 'deployed') {
    if (report.error) problems.push(`report: error ${report.error.type} on a deployed outcome`);
    const bad = report.steps.filter((s) => s.status !== 'ok' && s.status !== 'skipped');
    if (bad.length) problems.push(`report: steps not ok: ${bad.map((s) => `${s.name} ${s.status}`).join(', ')}`);
    if (report.checks.some((c) => !c.ok)) problems.push('report: a check failed');
    if (JSON.stringify(report.migrations?.applied) !== JSON.stringify(report.migrations?.pending))
      problems.push(
        `report: migrations applied ${JSON.stringify(report.migrations?.applied)}, pending were ${JSON.stringify(report.migrations?.pending)}`,
      );
    return problems;
  }
  if (e.errorType && report.error?.type !== e.errorType)
    problems.push(`report: error type ${report.error?.type}, expected ${e.errorType}`);
  if (e.errorStep && report.error?.step !== e.errorStep)
    problems.push(`report: error at ${report.error?.step}, expected ${e.errorStep}`);
  if (e.outcome === 'rolled-back') {
    const r = report.rollback;
    if (!r?.verified) problems.push('report: rollback not verified');
    if (r?.leftForHumans.length) problems.push(`report: left for humans: ${r.leftForHumans.join('; ')}`);
    if (r?.checks.some((c) => !c.ok) || !r?.checks.length) problems.push('report: rollback checks missing or failed');
    if (e.databaseRestored !== undefined && (r?.strategy === 'restore-database') !== e.databaseRestored)
      problems.push(
        `report: database restore ${r?.strategy ?? 'not done'}, expected ${e.databaseRestored ? 'restore-database' : 'none'}`,
      );
    if (e.databaseRestored && e.restoredFrom && r?.restoredFrom !== e.restoredFrom)
      problems.push(`report: restored from ${r?.restoredFrom ?? 'nothing'}, expected the ${e.restoredFrom}`);
  }
  return problems;
}

/**
 * A deployed case's backup as its method leaves it: the dump whole at its final name (for a
 * snapshot, the off-server dump taken once writes resumed, its step ok), its sha256 and size as
 * the report says, described beside it, and no partial file of the deployment's left.
 */
async function backupProblems(report: DeploymentReport, method: 'dump' | 'snapshot'): Promise<string[]> {
  const b = report.backup;
  if (!b) return ['backup: the report names none'];
  const problems: string[] = [];
  if (b.method !== method) problems.push(`backup: method ${b.method}, expected ${method}`);
  if (method === 'snapshot') {
    if (!b.snapshot) problems.push('backup: the report names no snapshot');
    const step = report.steps.findLast((s) => s.name === 'dump-backup');
    if (step?.status !== 'ok') problems.push(`backup: dump-backup ${step?.status ?? 'never ran'}`);
  }
  if (!b.path) return [...problems, 'backup: the report names no dump'];
  const found = await fingerprintPath(b.path).catch(() => undefined);
  if (!found) problems.push(`backup: the dump ${b.path} is missing`);
  else if (found.sha256 !== b.sha256 || found.sizeBytes !== b.sizeBytes)
    problems.push(
      `backup: the dump is ${found.sizeBytes} bytes, sha256 ${found.sha256.slice(0, 12)}; the report says ${b.sizeBytes} bytes, ${b.sha256?.slice(0, 12)}`,
    );
  if (!existsSync(`${b.path}.json`)) problems.push('backup: no description (.json) beside the dump');
  const mine = `-${createHash('sha256').update(report.deploymentId).digest('hex').slice(0, 16)}.`;
  for (const name of readdirSync(dirname(b.path)).filter((n) => n.startsWith('partial-') && n.includes(mine)))
    problems.push(`backup: a partial dump of the deployment is left: ${name}`);
  return problems;
}

/** Databases the deployment makes only for a while (the rehearsal's copy): none may be left. */
async function scratchProblems(prod: FarmChatProduction, deploymentId: string): Promise<string[]> {
  const name = ownDatabaseName(parseDatabaseUrl(prod.databaseUrl).database, deploymentId, 'rehearsal-copy');
  const { rows } = await withClient(prod.databaseUrl, (c) =>
    c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]),
  );
  return rows.length ? [`database: the rehearsal copy ${name} is left`] : [];
}

/** Every difference between the end state and the expected one; empty = exact. */
export async function endStateProblems(o: {
  prod: FarmChatProduction;
  pgBinDir: string;
  tags: Record<string, string>;
  baseline: Baseline;
  v2Reference: DatabaseState;
  expectation: Expectation;
  report: DeploymentReport;
  facts: EndStateFacts;
  /** `{{runId}}` of this check's HTTP checks; earlier ones (of a recheck) registered rows that are expected. */
  checkRunId: string;
  earlierCheckRunIds?: string[];
}): Promise<string[]> {
  const { prod, baseline, expectation: e, report } = o;
  const problems = reportProblems(report, e);
  if (problems.length && problems[0]!.startsWith('outcome')) return problems; // the rest would only repeat it
  const deployed = e.outcome === 'deployed';
  const verificationRun = `${report.deploymentId}-${deployed ? 'verify' : 'rollback'}`;
  const runs = expectedSmokeRuns(
    o.facts.verifications,
    e.outcome === 'aborted' ? [] : [verificationRun],
    o.earlierCheckRunIds ?? [],
  );
  const smoke: SmokeRows = { emails: runs.map((r) => r.email), bodies: runs.map((r) => r.body) };
  const dump = await schemaDump(prod.databaseUrl, o.pgBinDir);

  if (deployed) {
    // Data preserved: v1's columns of every row, once v2's migration row and the smoke rows are out.
    const known = baseline.state.migrations.map((m) => m.name);
    const found = await withoutRows(
      prod.databaseUrl,
      smoke,
      [['DELETE FROM _prisma_migrations WHERE migration_name <> ALL($1::text[])', [known]]],
      async (c) => {
        const diffs: string[] = [];
        for (const [table, columns] of Object.entries(baseline.columns)) {
          const now = await projectedChecksum(c, table, columns).catch((err: Error) => `error: ${err.message}`);
          if (now !== baseline.projected[table])
            diffs.push(`data: ${table} (v1 columns) ${now}, before ${baseline.projected[table]}`);
        }
        return diffs;
      },
    );
    problems.push(...found.result, ...smokeProblems(found, runs));
    const now = await withClient(prod.databaseUrl, (c) => captureState(c, dump));
    if (now.schemaSha256 !== o.v2Reference.schemaSha256) problems.push('schema: differs from the v2 reference');
    const migrations = (s: DatabaseState) =>
      JSON.stringify(s.migrations.map((m) => [m.name, m.checksum, m.finished, m.rolledBack]));
    if (migrations(now) !== migrations(o.v2Reference))
      problems.push(`migrations: ${migrations(now)}, expected ${migrations(o.v2Reference)}`);
    const tables = (s: DatabaseState) => s.tables.map((t) => t.name).join(',');
    if (tables(now) !== tables(o.v2Reference))
      problems.push(`tables: ${tables(now)}, expected ${tables(o.v2Reference)}`);
    for (const t of o.v2Reference.tables.filter((x) => !(x.name in baseline.columns))) {
      const n = now.tables.find((x) => x.name === t.name);
      if (n?.rows !== t.rows || n?.checksum !== t.checksum)
        problems.push(`data: new table ${t.name} holds ${n?.rows} rows, expected ${t.rows}`);
    }
  } else {
    const found = await withoutRows(prod.databaseUrl, smoke, [], (c) => captureState(c, dump));
    problems.push(
      ...diffStates(baseline.state, found.result).map((d) => `database: ${d}`),
      ...smokeProblems(found, runs),
    );
  }

  if (deployed && e.backupMethod) problems.push(...(await backupProblems(report, e.backupMethod)));
  problems.push(...(await scratchProblems(prod, report.deploymentId)));

  const release = deployed ? 'v2' : 'v1';
  problems.push(...(await gitProblems(prod, o.tags[release]!, release)));
  problems.push(...(await dependencyProblems(prod.appDir)).slice(0, 5).map((p) => `node_modules: ${p}`));
  const xml2js = existsSync(join(prod.appDir, 'node_modules', 'xml2js', 'package.json'));
  if (xml2js !== deployed) problems.push(`node_modules: xml2js ${xml2js ? 'present' : 'absent'}`);
  problems.push(
    ...(await appProblems(prod, {
      version: deployed ? '2.0.0' : '1.0.0',
      satshot: deployed,
      restarted: e.outcome !== 'aborted',
      baselinePid: baseline.appPid,
      checkRunId: o.checkRunId,
    })),
  );
  return problems;
}
