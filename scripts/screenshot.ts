/**
 * `npm run screenshot`: the README's picture of the Temporal Web UI, taken from a real run.
 * Starts a dev server with the Web UI, a PostgreSQL cluster, farm-chat v1 in "production" and a
 * worker (all on free ports, in a temp folder), deploys v2-broken-migration (rehearsal off, so the
 * migration fails half-way on production and the deployment rolls back), then opens that
 * workflow's page in headless Chromium and saves two pictures: its Timeline (every activity with
 * its summary, the failed migration, the compensations) and its User Metadata (summary and current
 * details, the runbook with a mark per step). Then it deploys v2 (deployed) and saves the list of
 * deployments: the rolled-back one Failed (red), the deployed one Completed.
 *
 *   npm run screenshot                 writes docs/images/web-ui-rolled-back.png, web-ui-current-details.png, web-ui-list.png
 *                                      and web-ui-deployed.png (a happy deployment's timeline: the short write pause)
 *   npm run screenshot -- --out x.png  x.png, x-current-details.png, x-list.png and x-deployed.png
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { chromium } from 'playwright-core';
import { parseRequest, startDeployment } from '../src/cli/start.js';
import type { DeploymentReport } from '../src/shared/report.js';
import { createWorker } from '../src/worker.js';
import { CHROMIUM_ARGS, ensureChromium } from './lib/chromium.js';
import { startDevServer, type DevServer } from './lib/devServer.js';
import {
  buildFarmChatOrigin,
  createFarmChatProduction,
  stopFarmChat,
  type FarmChatProduction,
} from './lib/farmChat.js';
import { writeFarmChatWorkerConfig } from './lib/farmChatConfig.js';
import { startPgCluster, type PgCluster } from './lib/pgCluster.js';
import { freePort, waitUntil } from './lib/ports.js';
import { ensureTools } from './lib/tools.js';
import { deploymentResult } from '../src/cli/deploymentResult.js';

const root = fileURLToPath(new URL('../..', import.meta.url)); // dist/scripts/screenshot.js → project root
const { values: args } = parseArgs({
  options: { out: { type: 'string', default: join(root, 'docs', 'images', 'web-ui-rolled-back.png') } },
});
const out = resolve(args.out!);
const details = out.replace(/-rolled-back\.png$|\.png$/, '-current-details.png');
const list = out.replace(/-rolled-back\.png$|\.png$/, '-list.png');
const deployed = out.replace(/-rolled-back\.png$|\.png$/, '-deployed.png');
const log = (line: string) => console.log(line);
const TASK_QUEUE = 'safe-deploy';

async function main(): Promise<void> {
  const tools = ensureTools(root, log);
  const browserPath = ensureChromium(log);
  const work = mkdtempSync(join(tmpdir(), 'safe-deploy-screenshot-'));
  const stops: (() => Promise<unknown>)[] = [];
  try {
    const server: DevServer = await startDevServer({
      cli: tools.temporal,
      port: await freePort(),
      uiPort: await freePort(),
      dbFile: join(work, 'temporal.db'),
      logFile: join(work, 'temporal.log'),
    });
    stops.unshift(() => server.stop());
    log(`Temporal dev server ${server.address}, Web UI ${server.uiUrl}`);

    const cluster: PgCluster = await startPgCluster();
    stops.unshift(() => cluster.stop());
    const databaseUrl = await cluster.createAppDatabase(
      'farm_chat',
      'farm_chat',
      randomBytes(12).toString('base64url'),
    );
    const origin = await buildFarmChatOrigin(join(work, 'origin.git'));
    const production: FarmChatProduction = await createFarmChatProduction({
      origin,
      rootDir: join(work, 'production'),
      databaseUrl,
      port: await freePort(),
    });
    stops.unshift(() => stopFarmChat(production));
    log(`farm-chat v1 in production on ${production.baseUrl}`);

    // Rehearsal off: the broken migration then fails on production itself, and the rollback runs.
    const configPath = join(work, 'safe-deploy.config.json');
    writeFarmChatWorkerConfig(configPath, production, {
      backupDir: join(work, 'backups'),
      pgBinDir: tools.pgBinDir,
      overrides: { rehearsal: { enabled: false } },
    });
    const nativeConnection = await NativeConnection.connect({ address: server.address });
    const worker = await createWorker({ connection: nativeConnection, taskQueue: TASK_QUEUE, configPath });
    const running = worker.run();
    stops.unshift(async () => {
      worker.shutdown();
      await running;
      await nativeConnection.close();
    });

    const connection = await Connection.connect({ address: server.address });
    stops.unshift(() => connection.close());
    const client = new Client({ connection });
    const request = parseRequest({
      app: 'farm-chat',
      environment: 'production',
      ref: 'v2-broken-migration',
      reason: 'Satshot integration',
      requestedBy: 'ana',
    });
    const handle = await startDeployment(client, request, {
      taskQueue: TASK_QUEUE,
      workflowId: 'deploy-farm-chat-production-v2-broken-migration',
    });
    log(`deploying: ${handle.workflowId}`);
    const report = await deploymentResult(handle);
    if (report.outcome !== 'rolled-back') throw new Error(`expected a rolled-back deployment, got ${report.outcome}`);
    log(`outcome: ${report.outcome} (${report.error?.type} at ${report.error?.step})`);
    // The Web UI lists by visibility, which follows the workflow a moment later.
    await waitUntil(
      'the outcome in the visibility store',
      async () => {
        for await (const w of client.workflow.list({
          query: `WorkflowId = '${handle.workflowId}' AND DeployOutcome = 'rolled-back'`,
        }))
          return w !== undefined;
        return false;
      },
      30_000,
      250,
    );

    const profile = mkdtempSync(join(tmpdir(), 'safe-deploy-chromium-'));
    stops.unshift(async () => rmSync(profile, { recursive: true, force: true }));
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: browserPath,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1600, height: 1500 },
      deviceScaleFactor: 1,
    });
    stops.unshift(() => browser.close());
    const page = browser.pages()[0] ?? (await browser.newPage());
    const { runId } = await handle.describe();
    const url = `${server.uiUrl}/namespaces/default/workflows/${encodeURIComponent(handle.workflowId)}/${runId}/history`;
    log(`opening ${url}`);
    await page.goto(url, { waitUntil: 'networkidle' });
    // The Timeline: every activity with its summary, the failed migration in red, the compensations after it.
    await page.getByText('Timeline', { exact: true }).first().click();
    await page
      .getByText(/restoreDatabase • Restore the farm-chat production database from the backup/)
      .first()
      .waitFor({ timeout: 60_000 });
    await page.waitForLoadState('networkidle');
    mkdirSync(dirname(out), { recursive: true });
    await page.screenshot({ path: out, clip: { x: 0, y: 0, width: 1600, height: 1420 } });
    log(`saved ${out}`);
    // User Metadata: the static summary and the current details, the runbook with a mark per step.
    await page.getByText('User Metadata', { exact: true }).first().click();
    // The current details come from a query the worker answers, rendered as markdown in a frame of its own.
    await waitUntil(
      'the current details in the Web UI',
      async () => {
        for (const frame of page.frames())
          if ((await frame.content().catch(() => '')).includes('↩ Resume farm-chat production')) return true;
        return false;
      },
      60_000,
      500,
    );
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: details, clip: { x: 0, y: 0, width: 1600, height: 1000 } });
    log(`saved ${details}`);

    // The list: the rolled-back deployment Failed, a deployed one Completed (the outcome is the status).
    // That one as a team runs it: rehearsed before the pause, backed up by a snapshot (only its copy in the pause).
    writeFarmChatWorkerConfig(configPath, production, {
      backupDir: join(work, 'backups'),
      pgBinDir: tools.pgBinDir,
      backup: { method: 'snapshot' },
    });
    const good = await startDeployment(
      client,
      parseRequest({
        app: 'farm-chat',
        environment: 'production',
        ref: 'v2',
        reason: 'Satshot integration, the migration fixed',
        requestedBy: 'ana',
      }),
      { taskQueue: TASK_QUEUE, workflowId: 'deploy-farm-chat-production-v2' },
    );
    log(`deploying: ${good.workflowId}`);
    const goodReport = await deploymentResult(good);
    if (goodReport.outcome !== 'deployed') throw new Error(`expected a deployed deployment, got ${goodReport.outcome}`);
    await waitUntil(
      'the second outcome in the visibility store',
      async () => {
        for await (const w of client.workflow.list({
          query: `WorkflowId = '${good.workflowId}' AND DeployOutcome = 'deployed'`,
        }))
          return w !== undefined;
        return false;
      },
      30_000,
      250,
    );
    await page.goto(
      `${server.uiUrl}/namespaces/default/workflows?query=${encodeURIComponent("WorkflowType = 'safeDeployment'")}`,
      { waitUntil: 'networkidle' },
    );
    await page.getByText('deploy-farm-chat-production-v2', { exact: true }).first().waitFor({ timeout: 60_000 });
    await page.getByText('Failed', { exact: true }).first().waitFor({ timeout: 60_000 });
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: list, clip: { x: 0, y: 0, width: 1600, height: 700 } });
    log(`saved ${list}`);
    // Its timeline: staging and the rehearsal before stopWrites, then the short pause — the copy,
    // its fingerprint beside the code steps, migrate, restart, verify, resumeWrites — then the dump.
    const { runId: goodRunId } = await good.describe();
    await page.goto(
      `${server.uiUrl}/namespaces/default/workflows/${encodeURIComponent(good.workflowId)}/${goodRunId}/history`,
      { waitUntil: 'networkidle' },
    );
    await page.getByText('Timeline', { exact: true }).first().click();
    await page
      .getByText(/dumpBackup • Dump the sealed snapshot/)
      .first()
      .waitFor({ timeout: 60_000 });
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: deployed, clip: { x: 0, y: 0, width: 1600, height: 1420 } });
    log(`saved ${deployed}`);
  } finally {
    for (const stop of stops) await stop().catch((err: unknown) => log(`cleanup: ${(err as Error).message}`));
    rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
