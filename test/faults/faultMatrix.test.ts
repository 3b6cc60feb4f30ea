import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { caseName, faultMatrix } from '../../scripts/faults/cases.js';
import { createLab, type Lab, type Station } from '../../scripts/faults/lab.js';
import { runCaseLanded, type CaseHooks, type CaseResult } from '../../scripts/faults/runCase.js';
import { scanForSecrets } from '../../scripts/faults/secrets.js';

/**
 * The fast subset of `npm run faults`, through the same code: a lab of its own (a case restarts
 * its dev server), three farm-chat productions in place with dumps and one in release directories
 * with snapshots, each on its own PostgreSQL cluster with its own fault worker process (compiled:
 * npm test builds first). One case per fault kind, and one in release directories, each checked
 * exactly; all but the server restart side by side.
 */
let dir: string;
let lab: Lab;
const workflowIds: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'safe-deploy-faults-'));
  lab = await createLab({
    dir,
    log: () => {},
    setups: ['in-place+dump', 'in-place+dump', 'in-place+dump', 'releases+snapshot'],
    workflowBundlePath: inject('workflowBundlePath'),
    seed: { users: 8, messagesPerUser: 3 },
  });
}, 600_000);
afterAll(async () => {
  await lab?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function runExact(station: Station, name: string, hooks?: CaseHooks): Promise<CaseResult> {
  const c = faultMatrix().find((x) => caseName(x) === name);
  if (!c) throw new Error(`no case ${name} in the matrix`);
  const r = await runCaseLanded(lab, station, c, () => {}, hooks);
  workflowIds.push(r.workflowId);
  expect(r.problems, name).toEqual([]);
  expect(r.outcome, name).toBe(c.expect.outcome);
  expect(r.exact, name).toBe(true);
  return r;
}

async function sql(station: Station, text: string): Promise<void> {
  const c = new pg.Client({ connectionString: station.prod.databaseUrl });
  await c.connect();
  try {
    await c.query(text);
  } finally {
    await c.end();
  }
}

describe('the fault matrix, fast subset', () => {
  it('side by side: an error at migrate rolls back exactly (and the check sees one edited row), then a worker SIGKILLed alone mid-migration (no prisma outlives it, rolled back); a worker SIGKILLed mid npm ci (staging, before writes pause) is replaced and the deployment completes; PostgreSQL stopped for 60 s mid pg_restore is waited out (rolled back, not rollback-failed); in release directories an error at migrate renames the snapshot in, with no npm', async () => {
    const [a, b, c, d] = lab.stations as [Station, Station, Station, Station];
    expect(d.setup).toBe('releases+snapshot');
    const [[rolledBack, cutMigration], killed, outage, snapshot] = await Promise.all([
      (async () =>
        [
          await runExact(a, 'migrate/error', {
            afterCheck: async (recheck) => {
              // The same check, once a real difference is there: one message edited behind its back.
              await sql(a, `UPDATE messages SET body = body || ' (edited)' WHERE id = 1`);
              try {
                expect(await recheck()).toContain('database: table public.messages: content differs');
              } finally {
                await sql(a, `UPDATE messages SET body = left(body, -9) WHERE id = 1`);
              }
            },
          }),
          await runExact(a, 'migrate/kill-worker-mid'),
        ] as const)(),
      runExact(b, 'stage-release/kill-worker'),
      runExact(c, 'restore-database/pg-outage'),
      runExact(d, 'migrate/error@releases+snapshot'),
    ]);
    expect(rolledBack.timeline).toEqual(expect.arrayContaining([expect.stringMatching(/^undo restore-database ok/)]));
    expect(cutMigration.landed).toBe("mid-work: the migration's ALTER TABLE users, waiting for a lock");
    expect(cutMigration.attempts).toBe(2);
    expect(killed.attempts).toBe(2);
    expect(killed.landed).toMatch(/mid-work|after the work/);
    expect(outage.landed).toMatch(/^mid-work: pg_restore running/);
    expect(outage.attempts).toBeGreaterThanOrEqual(2);
    expect(outage.timeline).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^undo restore-database ok/),
        expect.stringMatching(/^undo verify-rollback ok/),
      ]),
    );
    expect(snapshot.timeline).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^undo restore-database ok/),
        expect.stringMatching(/^undo reactivate-release ok/),
        expect.stringMatching(/^undo reinstall-dependencies skipped/),
      ]),
    );
    expect(realpathSync(d.prod.appDir)).toMatch(
      new RegExp(`/releases/20260101000000-${lab.origin.tags.v1!.slice(0, 12)}$`),
    );
  }, 600_000);

  it('a dev server stopped and started again during the backup: the deployment completes', async () => {
    const r = await runExact(lab.stations[0]!, 'backup/restart-server');
    expect(r.attempts).toBeGreaterThanOrEqual(1);
  }, 300_000);

  it("no secret in any case's full history, nor in the worker logs (killed workers included)", async () => {
    expect(workflowIds).toHaveLength(6);
    const scan = await scanForSecrets(lab, workflowIds);
    expect(scan.leaks).toEqual([]);
    expect(scan.line).toMatch(/^secrets: none of \d+ values in 6 histories and 4 worker logs$/);
    // The scan itself finds a leak: a log line holding the database password.
    const canary = join(lab.logDir, 'worker-canary.log');
    writeFileSync(canary, `connecting to ${lab.stations[0]!.prod.databaseUrl}\n`);
    try {
      expect((await scanForSecrets(lab, [])).leaks).toEqual(['worker-canary.log: database password']);
    } finally {
      rmSync(canary);
    }
  }, 60_000);
});
