/**
 * The load case (`npm run faults -- --load 20`): N farm-chat productions — each with its own
 * database, role (and password), working copy, env file, app process and port, all on the lab's
 * first PostgreSQL cluster and one shared backup folder — deployed from v1 to v2 at the same
 * moment through ONE worker process (safe-deploy's own worker, `dist/src/worker.js`, no fault
 * hooks), one task queue. Each must end exactly as a matrix case that deployed (endState.ts), and
 * without cross-talk: its database holds its own marker user and no other app's (and no other
 * app's smoke rows: the data check would see them), every activity of its deployment named its
 * own app and directory, its dump is of its own database, its env file is unchanged, its app runs
 * from its own directory, and nothing is left running on its directory. The worker's peak RSS
 * (VmHWM) is reported.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { deploymentResult, reportFromFailure } from '../../src/cli/deploymentResult.js';
import { defaultPayloadConverter } from '@temporalio/common';
import { parseEnvFile } from '../../src/activities/activityDeps.js';
import { run } from '../../src/exec/run.js';
import type { DeploymentReport } from '../../src/shared/report.js';
import { runAppctl, waitForFarmChatHealth, FARM_CHAT_FAKE_ENV, type FarmChatProduction } from '../lib/farmChat.js';
import { farmChatWorkerConfig } from '../lib/farmChatConfig.js';
import { freePort } from '../lib/ports.js';
import { historyText, leakedSecrets } from '../lib/secretScan.js';
import { appPid, captureBaseline, withClient, type Baseline } from './dbFingerprint.js';
import { endStateProblems } from './endState.js';
import { activityAttempts } from './history.js';
import type { Lab } from './lab.js';
import { processTree, projectRoot, stationProcesses, startWorkerProcess } from './processes.js';
import type { CaseResult } from './runCase.js';
import { stopProcess } from '../lib/devServer.js';

const V1_TEMPLATE = 'farm_chat_v1_template';
const LOAD_TIMEOUT_MS = 45 * 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

interface LoadApp {
  name: string;
  database: string;
  role: string;
  password: string;
  rootDir: string;
  prod: FarmChatProduction;
  /** The user only this app's database may hold (registered through the app). */
  marker: string;
  envSha256: string;
  baseline?: Baseline;
}

export interface LoadRun {
  results: CaseResult[];
  /** `load: 20 apps deployed at once through one worker: …, worker peak RSS … MiB (VmHWM)` */
  line: string;
  /** `secrets: …` over the load's histories and its worker's log. */
  secretsLine: string;
  leaks: string[];
}

/** `VmHWM` and `VmRSS` of a process, in KiB. */
function memoryOf(pid: number): { hwmKiB: number; rssKiB: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    return { hwmKiB: kib('VmHWM'), rssKiB: kib('VmRSS') };
  } catch {
    return undefined;
  }
}

async function api(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  token?: string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, json: ((await res.json().catch(() => ({}))) ?? {}) as Record<string, unknown> };
}

/** One production: role, database (v1, owned by the role), working copy at v1, env file, app running, marker registered. */
async function createLoadApp(lab: Lab, i: number, v1Dump: string, dir: string): Promise<LoadApp> {
  const name = `load-${String(i).padStart(2, '0')}`;
  const database = name.replace('-', '_');
  const role = database;
  const password = randomBytes(12).toString('base64url');
  const rootDir = join(dir, name);
  mkdirSync(rootDir, { recursive: true });
  const { cluster } = lab;
  await cluster.query(`CREATE ROLE ${role} LOGIN CREATEDB PASSWORD '${password}'`);
  await cluster.query(`CREATE DATABASE ${database} OWNER ${role}`);
  // v1's tables, owned by this app's role alone (--role: the restore runs as it).
  await run({
    file: join(lab.pgBinDir, 'pg_restore'),
    args: ['--exit-on-error', '--no-password', '--no-owner', `--role=${role}`, `--dbname=${database}`, v1Dump],
    env: {
      PGHOST: cluster.host,
      PGPORT: String(cluster.port),
      PGUSER: cluster.superuser,
      PGPASSWORD: cluster.password,
    },
    secrets: [cluster.password],
    timeoutMs: 300_000,
  });
  const port = await freePort();
  const prod: FarmChatProduction = {
    appDir: join(rootDir, 'app'),
    layout: 'in-place',
    repository: lab.origin.dir,
    runDir: join(rootDir, 'run'),
    envFile: join(rootDir, 'app.env'),
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    databaseUrl: cluster.url(database, role, password),
  };
  await run({ file: 'git', args: ['clone', '-q', lab.origin.dir, prod.appDir], timeoutMs: 120_000 });
  await run({
    file: 'git',
    args: ['-c', 'advice.detachedHead=false', 'checkout', '-q', '--detach', 'v1'],
    cwd: prod.appDir,
  });
  // A copy, not hard links: nothing of one app may share a file with another's.
  await run({
    file: 'cp',
    args: ['-a', join(lab.dir, 'v1-node_modules'), join(prod.appDir, 'node_modules')],
    timeoutMs: 300_000,
  });
  const first = lab.stations[0]!.prod;
  const env = {
    ...parseEnvFile(readFileSync(first.envFile, 'utf8')),
    DATABASE_URL: prod.databaseUrl,
    PORT: String(port),
    SESSION_SECRET: randomBytes(32).toString('hex'),
    MAINTENANCE_BYPASS_TOKEN: randomBytes(18).toString('base64url'),
  };
  const envText = Object.entries(env)
    .map(([k, v]) => `${k}=${v}\n`)
    .join('');
  writeFileSync(prod.envFile, envText, { mode: 0o600 });
  await runAppctl(prod, 'start');
  await waitForFarmChatHealth(prod, 60_000);
  const marker = `owner@${name}.example`;
  const registered = await api(prod.baseUrl, 'POST', '/auth/register', {
    email: marker,
    password: `${name}-pass-123`,
    name: `Owner of ${name}`,
  });
  if (registered.status !== 201) throw new Error(`${name}: registering ${marker} answered ${registered.status}`);
  const { json } = await api(prod.baseUrl, 'POST', '/auth/login', { email: marker, password: `${name}-pass-123` });
  const posted = await api(
    prod.baseUrl,
    'POST',
    '/chat/messages',
    { body: `only ${name} has this message` },
    String(json.token),
  );
  if (posted.status !== 201) throw new Error(`${name}: posting its marker message answered ${posted.status}`);
  return { name, database, role, password, rootDir, prod, marker, envSha256: sha256(envText) };
}

/** Every activity its deployment scheduled named this app and its own directory. */
async function historyCrossTalk(handle: WorkflowHandle, app: LoadApp): Promise<string[]> {
  const problems: string[] = [];
  let activities = 0;
  for (const ev of (await handle.fetchHistory()).events ?? []) {
    const s = ev.activityTaskScheduledEventAttributes;
    const payload = s?.input?.payloads?.[0];
    if (!s || !payload) continue;
    const input = defaultPayloadConverter.fromPayload<{ target?: { app?: string; appDir?: string; envFile?: string } }>(
      payload,
    );
    if (!input?.target) continue;
    activities++;
    const t = input.target;
    if (t.app !== app.name || t.appDir !== app.prod.appDir || t.envFile !== app.prod.envFile)
      problems.push(`cross-talk: ${s.activityType?.name} ran for ${t.app} (${t.appDir})`);
  }
  if (activities === 0) problems.push('history: no activity with a target');
  return problems;
}

/** The app's own database holds its marker and no other app's; its dump is of its own database; its files and process are its own. */
async function crossTalkProblems(lab: Lab, app: LoadApp, apps: LoadApp[], report: DeploymentReport): Promise<string[]> {
  const problems: string[] = [];
  const markers = await withClient(app.prod.databaseUrl, async (c) =>
    (
      await c.query<{ email: string }>(`SELECT email FROM users WHERE email LIKE 'owner@load-%' ORDER BY email`)
    ).rows.map((r) => r.email),
  );
  if (JSON.stringify(markers) !== JSON.stringify([app.marker]))
    problems.push(
      `cross-talk: ${app.database} holds the markers ${markers.join(', ') || 'none'}, expected only ${app.marker}`,
    );
  const dump = report.backup?.path;
  if (!dump || !dump.startsWith(join(lab.dir, 'load-backups', `${app.name}-production-`)) || !existsSync(dump)) {
    problems.push(`backup: ${dump ?? 'no dump'} is not ${app.name}'s own`);
  } else {
    const side = JSON.parse(readFileSync(`${dump}.json`, 'utf8')) as { app?: string };
    const listing = (await run({ file: join(lab.pgBinDir, 'pg_restore'), args: ['--list', dump] })).stdout;
    const dbname = /^;\s+dbname: (.*)$/m.exec(listing)?.[1];
    if (side.app !== app.name || dbname !== app.database)
      problems.push(`cross-talk: ${app.name}'s dump describes app ${side.app}, database ${dbname}`);
  }
  if (sha256(readFileSync(app.prod.envFile, 'utf8')) !== app.envSha256)
    problems.push(`files: ${app.prod.envFile} changed`);
  const pid = appPid(app.prod);
  const cwd =
    pid === undefined
      ? undefined
      : (() => {
          try {
            return readlinkSync(`/proc/${pid}/cwd`);
          } catch {
            return undefined;
          }
        })();
  if (cwd !== app.prod.appDir) problems.push(`app: pid ${pid} runs in ${cwd}, expected ${app.prod.appDir}`);
  const others = apps.filter(
    (a) =>
      a !== app && report.steps.some((s) => s.result?.includes(a.prod.appDir + '/') || s.result?.includes(a.database)),
  );
  if (others.length) problems.push(`cross-talk: ${app.name}'s report names ${others.map((a) => a.name).join(', ')}`);
  return problems;
}

export async function runLoad(lab: Lab, n: number, log: (line: string) => void): Promise<LoadRun> {
  const dir = join(lab.dir, 'load');
  const backupDir = join(lab.dir, 'load-backups');
  mkdirSync(dir, { recursive: true });
  const v1Dump = join(dir, 'v1.dump');
  const { cluster } = lab;
  await run({
    file: join(lab.pgBinDir, 'pg_dump'),
    args: ['--format=custom', `--file=${v1Dump}`, '--no-password'],
    env: {
      PGHOST: cluster.host,
      PGPORT: String(cluster.port),
      PGUSER: cluster.superuser,
      PGPASSWORD: cluster.password,
      PGDATABASE: V1_TEMPLATE,
    },
    secrets: [cluster.password],
    timeoutMs: 300_000,
  });

  const apps: LoadApp[] = [];
  let workerPid: number | undefined;
  try {
    const started = Date.now();
    // Four at a time: each is a clone, a node_modules copy, a restore and an app start.
    for (let i = 1; i <= n; i += 4) {
      apps.push(
        ...(await Promise.all(
          Array.from({ length: Math.min(4, n - i + 1) }, (_, k) => createLoadApp(lab, i + k, v1Dump, dir)),
        )),
      );
    }
    log(
      `load: ${n} farm-chat v1 productions ready after ${Math.round((Date.now() - started) / 1000)} s (each its own database, role, working copy, env file and app; one backup folder)`,
    );

    const configPath = join(dir, 'safe-deploy.config.json');
    const config = Object.assign(
      {},
      ...apps.map((a) => ({
        [a.name]: farmChatWorkerConfig(a.prod, {
          backupDir,
          pgBinDir: lab.pgBinDir,
          overrides: { rehearsal: { enabled: false } },
        }).apps['farm-chat'],
      })),
    );
    writeFileSync(configPath, JSON.stringify({ tools: { pgBinDir: lab.pgBinDir }, apps: config }, null, 2) + '\n');
    for (const a of apps) a.baseline = await captureBaseline(a.prod, lab.pgBinDir);

    // safe-deploy's own worker, as production runs it: one process, one task queue, every app.
    const taskQueue = 'safe-deploy-load';
    const logFile = join(lab.logDir, 'worker-load.log');
    workerPid = await startWorkerProcess(
      join(projectRoot(), 'dist', 'src', 'worker.js'),
      { TEMPORAL_ADDRESS: lab.server.address, SAFE_DEPLOY_CONFIG: configPath, SAFE_DEPLOY_TASK_QUEUE: taskQueue },
      logFile,
      'safe-deploy worker: task queue',
    );
    const pid = workerPid;
    let peakRssKiB = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peakRssKiB = Math.max(peakRssKiB, memoryOf(pid)?.rssKiB ?? 0);
        await sleep(500);
      }
    })();

    const id = randomBytes(4).toString('hex');
    const deployStarted = Date.now();
    const handles = await Promise.all(
      apps.map((a) =>
        lab.client.workflow.start('safeDeployment', {
          taskQueue,
          workflowId: `load-${a.name}-${id}`,
          args: [
            {
              app: a.name,
              environment: 'production',
              ref: 'v2',
              reason: `fault matrix: load, ${n} at once`,
              requestedBy: 'faults',
            },
          ],
        }),
      ),
    );
    log(`load: ${n} deployments started at once on task queue ${taskQueue}, one worker (pid ${pid})`);
    const ended: { report?: DeploymentReport; error?: string; seconds: number }[] = await Promise.all(
      handles.map(async (h) => {
        try {
          const report = (await Promise.race([
            deploymentResult(h),
            sleep(LOAD_TIMEOUT_MS).then(() => {
              throw new Error(`no result within ${LOAD_TIMEOUT_MS / 60_000} min`);
            }),
          ])) as DeploymentReport;
          return { report, seconds: Math.round((Date.now() - deployStarted) / 1000) };
        } catch (e) {
          const report = reportFromFailure(e);
          return { report, error: (e as Error).message, seconds: Math.round((Date.now() - deployStarted) / 1000) };
        }
      }),
    );
    const allSeconds = Math.round((Date.now() - deployStarted) / 1000);
    sampling = false;
    await sampler;
    const hwmKiB = memoryOf(pid)?.hwmKiB ?? NaN;
    const commandsLeft = processTree(pid).filter((p) => p !== pid);

    const results: CaseResult[] = [];
    for (const [i, a] of apps.entries()) {
      const e = ended[i]!;
      const handle = handles[i]!;
      const result: CaseResult = {
        step: a.name,
        kind: 'load',
        setup: 'in-place+dump',
        expected: 'deployed',
        outcome: e.report?.outcome ?? 'failed',
        exact: false,
        seconds: e.seconds,
        landed: `${n} at once, one worker`,
        attempts: 1,
        workflowId: handle.workflowId,
        station: 'load',
        timeline:
          e.report?.steps.map(
            (s) =>
              `${s.phase === 'rollback' ? 'undo ' : ''}${s.name} ${s.status} ${((s.durationMs ?? 0) / 1000).toFixed(1)}s`,
          ) ?? [],
        problems: [],
      };
      try {
        if (!e.report) throw new Error(`no report: ${e.error}`);
        const { verifications } = await activityAttempts(handle, {
          activity: 'verifyDeployment',
          input: { step: 'verify' },
        });
        result.attempts = Math.max(1, verifications.get(`${e.report.deploymentId}-verify`) ?? 1);
        result.problems.push(
          ...(await endStateProblems({
            prod: a.prod,
            pgBinDir: lab.pgBinDir,
            tags: lab.origin.tags,
            baseline: a.baseline!,
            v2Reference: lab.v2Reference,
            expectation: { outcome: 'deployed' },
            report: e.report,
            facts: { verifications },
            checkRunId: `load-${id}-${a.name}`,
          })),
        );
        if (result.problems[0]?.startsWith('outcome')) throw new Error(result.problems.shift()!);
        result.problems.push(
          ...(await historyCrossTalk(handle, a)),
          ...(await crossTalkProblems(lab, a, apps, e.report)),
        );
      } catch (err) {
        result.problems.push(`case failed: ${(err as Error).message}`);
      }
      results.push(result);
    }
    // Nothing left working on any app's files once every deployment ended (the apps themselves aside).
    const appPids = apps.map((a) => appPid(a.prod) ?? -1);
    for (const [i, a] of apps.entries()) {
      for (const p of stationProcesses({ rootDir: a.rootDir, keep: appPids }))
        results[i]!.problems.push(`orphan: pid ${p.pid} (${p.argv}) still runs on ${a.name}`);
    }
    if (commandsLeft.length)
      results[0]!.problems.push(`the worker still runs ${commandsLeft.length} processes after every deployment ended`);
    // The check bites: the first app's database given the second's marker is caught, then put back.
    if (apps.length > 1 && ended[0]!.report) {
      const [one, two] = apps as [LoadApp, LoadApp];
      await withClient(one.prod.databaseUrl, (c) =>
        c.query(`UPDATE users SET email = $1 WHERE email = $2`, [two.marker, one.marker]),
      );
      try {
        const seen = await crossTalkProblems(lab, one, apps, ended[0]!.report!);
        if (!seen.some((p) => p.includes(`holds the markers ${two.marker}`)))
          results[0]!.problems.push(
            `the cross-talk check missed ${two.marker} in ${one.database}: ${seen.join('; ') || 'nothing found'}`,
          );
      } finally {
        await withClient(one.prod.databaseUrl, (c) =>
          c.query(`UPDATE users SET email = $1 WHERE email = $2`, [one.marker, two.marker]),
        );
      }
    }
    for (const r of results) r.exact = r.problems.length === 0;

    // Secrets: each app's role password and bypass token, the integrations' values.
    const secrets: Record<string, string> = Object.fromEntries(
      Object.entries(FARM_CHAT_FAKE_ENV).filter(([k]) => k !== 'SATSHOT_MCP_PORT'),
    );
    for (const a of apps) {
      secrets[`database password of ${a.name}`] = a.password;
      secrets[`MAINTENANCE_BYPASS_TOKEN of ${a.name}`] =
        parseEnvFile(readFileSync(a.prod.envFile, 'utf8')).MAINTENANCE_BYPASS_TOKEN ?? '';
    }
    const leaks: string[] = [];
    for (const h of handles)
      for (const s of leakedSecrets(await historyText(h), secrets)) leaks.push(`history of ${h.workflowId}: ${s}`);
    for (const s of leakedSecrets(readFileSync(logFile, 'utf8'), secrets)) leaks.push(`worker-load.log: ${s}`);

    const exact = results.filter((r) => r.exact).length;
    const mib = (kib: number) => `${Math.round(kib / 1024)} MiB`;
    return {
      results,
      line: `load: ${n} apps deployed at once through one worker in ${allSeconds} s: ${exact} exact, ${n - exact} failed; worker peak RSS ${mib(hwmKiB)} (VmHWM; ${mib(peakRssKiB)} sampled every 0.5 s)`,
      secretsLine:
        leaks.length === 0
          ? `secrets: none of ${Object.keys(secrets).length} values in ${handles.length} histories and 1 worker log`
          : `secrets: ${leaks.length} LEAKED in ${handles.length} histories and 1 worker log`,
      leaks,
    };
  } finally {
    if (workerPid !== undefined) await stopProcess(workerPid, 10_000);
    for (const a of apps) await runAppctl(a.prod, 'stop').catch(() => undefined);
    rmSync(v1Dump, { force: true });
  }
}
