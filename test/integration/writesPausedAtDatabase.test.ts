import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PRISMA_HEROKU_CHECKS } from '../../scripts/lib/prismaHerokuConfig.js';
import type { PrismaHerokuProduction } from '../../scripts/lib/prismaHeroku.js';
import { deploymentResult } from '../../src/cli/deploymentResult.js';
import { renderReport } from '../../src/cli/render.js';
import { createAppScenario, historyText, PRISMA_HEROKU_APP, type Scenario } from '../helpers/scenario.js';

/**
 * The sample app that has no maintenance mode (examples/prisma-heroku) under writes policy `stop`
 * paused at the database (`stopAt: 'database'`), and its own log in failures (`logs`): a release
 * that does not start (its `require('./lib/normalize-email')` was never committed) fails with the
 * app's own words and rolls back to a writable role; v2 deploys while an INSERT as the app's role
 * is refused and reads — the database's and the app's — keep working; afterwards the app writes.
 * The app's role is named `blog "pausé" <pid>`: quoted in every statement, percent-encoded in its URL.
 */
let s: Scenario<PrismaHerokuProduction>;
/** The app's role: a name that needs quotes in SQL and percent-encoding in its URL. */
const ROLE = `blog "pausé" ${process.pid}`;

beforeAll(async () => {
  s = await createAppScenario(PRISMA_HEROKU_APP, 'db_pause', {
    role: ROLE,
    overrides: { writes: { policy: 'stop', stopAt: 'database' }, checks: [PRISMA_HEROKU_CHECKS[0]] },
  });
  // Where the app's log is is known once production exists: the owner adds it to the config.
  const config = JSON.parse(readFileSync(s.configPath, 'utf8'));
  config.apps['prisma-heroku'][s.environment].logs = join(s.prod.runDir, 'web.log');
  writeFileSync(s.configPath, JSON.stringify(config, null, 2));
}, 600_000);
afterAll(async () => s?.close());

interface Probe {
  /** INSERTs as the app's role refused as read-only (SQLSTATE 25006), each right after a SELECT that worked. */
  refusedWhileReading: number;
  /** The app's GET /api/feed answered 200 right after such a refusal. */
  appReadsWhileRefused: number;
  /** INSERTs that would have been written (rolled back by the probe). */
  writable: number;
}

/** Probes the database as the app's role, and the app, until `deployment` ends. */
async function probeDuring(deployment: Promise<unknown>): Promise<Probe> {
  const seen: Probe = { refusedWhileReading: 0, appReadsWhileRefused: 0, writable: 0 };
  let done = false;
  void deployment.finally(() => (done = true)).catch(() => undefined);
  while (!done) {
    const c = new pg.Client({ connectionString: s.databaseUrl });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.query('SELECT count(*) FROM "User"');
      await c.query('BEGIN');
      try {
        await c.query(`INSERT INTO "User" (email, name) VALUES ('probe@prisma-heroku.example', 'Probe')`);
        seen.writable++;
      } catch (e) {
        if ((e as { code?: string }).code !== '25006') throw e;
        seen.refusedWhileReading++;
        const feed = await fetch(`${s.prod.baseUrl}/api/feed`).catch(() => undefined);
        if (feed?.status === 200) seen.appReadsWhileRefused++;
      }
      await c.query('ROLLBACK');
    } catch {
      // A session ended by the pause, the app restarting, the database being restored: the next round sees.
    } finally {
      await c.end().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return seen;
}

/** The role's setting in the app's database (undefined: none), read as the role itself. */
async function roleSetting(): Promise<string[] | undefined> {
  const rows = await s.query<{ setconfig: string[] }>(
    `SELECT setconfig FROM pg_db_role_setting WHERE setrole = (SELECT oid FROM pg_roles WHERE rolname = current_user)
        AND setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
  return rows[0]?.setconfig;
}

/** A new author through the app itself: 200 only if its own sessions can write. */
const signUp = (tag: string) =>
  fetch(`${s.prod.baseUrl}/api/user`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `after-${tag}@prisma-heroku.example`, name: `After ${tag}` }),
  });

/** Starts a deployment, probing while it runs; its report and what the probe saw. */
async function deployProbing(ref: string) {
  const handle = await s.start(s.request(ref));
  const result = deploymentResult(handle);
  const probe = await probeDuring(result);
  return { handle, report: await result, probe };
}

describe('v1 → v2-rewrite-fails-start: the app does not start; the failure quotes it, the rollback leaves the role writable', () => {
  let run: Awaited<ReturnType<typeof deployProbing>>;

  beforeAll(async () => {
    run = await deployProbing('v2-rewrite-fails-start');
  }, 600_000);

  it("fails at restart with the app's own words, in the failure and in the report status prints", () => {
    const { report } = run;
    expect(report.outcome).toBe('rolled-back');
    expect(report.error).toMatchObject({ step: 'restart', type: 'HealthCheckFailed' });
    expect(report.error!.message).toContain(`the last`);
    expect(report.error!.message).toContain(join(s.prod.runDir, 'web.log'));
    expect(report.error!.message).toContain("Cannot find module './lib/normalize-email'");
    expect(renderReport(report)).toContain("Cannot find module './lib/normalize-email'");
  });

  it('paused writes at the database during the deployment: INSERTs refused as read-only while reads worked', () => {
    expect(run.probe.refusedWhileReading).toBeGreaterThan(0);
    expect(run.report.writes).toMatchObject({ policy: 'stop' });
  });

  it('rolled back to v1 with the role writable again: no setting left, the app writes', async () => {
    expect(await s.query('SELECT current_user AS role')).toEqual([{ role: ROLE }]);
    expect(run.report.rollback).toMatchObject({ verified: true });
    expect(s.head()).toBe(s.origin.tags.v1);
    expect(await roleSetting()).toBeUndefined();
    expect((await signUp('rollback')).status).toBe(200);
    const history = await historyText(run.handle);
    expect(history).not.toContain(s.dbPassword);
  });
});

describe('v1 → v2 paused at the database: reads keep working, writes wait, and work again after', () => {
  let run: Awaited<ReturnType<typeof deployProbing>>;

  beforeAll(async () => {
    run = await deployProbing('v2');
  }, 600_000);

  it('is deployed, every step ok, under policy stop', () => {
    expect(run.report.error).toBeUndefined();
    expect(run.report.outcome).toBe('deployed');
    expect(run.report.steps.filter((x) => x.status !== 'ok')).toEqual([]);
    expect(run.report.writes).toMatchObject({ policy: 'stop' });
    expect(run.report.writes?.stoppedAt).toBeDefined();
  });

  it("while paused, an INSERT as the app's role failed read-only, a SELECT worked, and the app served reads", () => {
    expect(run.probe.refusedWhileReading).toBeGreaterThan(0);
    expect(run.probe.appReadsWhileRefused).toBeGreaterThan(0);
  });

  it('after the deployment the role writes again: no setting left, the app (v2) signs up an author', async () => {
    expect(await roleSetting()).toBeUndefined();
    expect(s.head()).toBe(s.origin.tags.v2);
    expect((await signUp('v2')).status).toBe(200);
    const c = new pg.Client({ connectionString: s.databaseUrl });
    await c.connect();
    try {
      await c.query('BEGIN');
      await c.query(`INSERT INTO "User" (email, name) VALUES ('probe-after@prisma-heroku.example', 'Probe')`);
      await c.query('ROLLBACK');
    } finally {
      await c.end();
    }
  });
});
