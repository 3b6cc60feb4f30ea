import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { caseName, faultMatrix } from '../../scripts/faults/cases.js';
import { createLab, type Lab, type Station } from '../../scripts/faults/lab.js';
import { runCase, type CaseHooks, type CaseResult } from '../../scripts/faults/runCase.js';

/**
 * The fast subset of `npm run faults`, through the same code: a lab of its own (a case restarts
 * its dev server), two farm-chat productions in place with dumps and one in release directories
 * with snapshots, each with its fault worker process (compiled: npm test builds first). One case
 * per fault kind, and one in release directories, each checked exactly.
 */
let dir: string;
let lab: Lab;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'safe-deploy-faults-'));
  lab = await createLab({ dir, log: () => {}, setups: ['in-place+dump', 'in-place+dump', 'releases+snapshot'], workflowBundlePath: inject('workflowBundlePath'), seed: { users: 8, messagesPerUser: 3 } });
}, 600_000);
afterAll(async () => {
  await lab?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function runExact(station: Station, name: string, hooks?: CaseHooks): Promise<CaseResult> {
  const c = faultMatrix().find((x) => caseName(x) === name);
  if (!c) throw new Error(`no case ${name} in the matrix`);
  const r = await runCase(lab, station, c, () => {}, hooks);
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
  it('an error at migrate rolls back exactly (and the check sees one edited row); a worker SIGKILLed mid npm ci is replaced and the deployment completes', async () => {
    const [a, b] = lab.stations as [Station, Station];
    const [rolledBack, killed] = await Promise.all([
      runExact(a, 'migrate/error', {
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
      runExact(b, 'install-dependencies/kill-worker'),
    ]);
    expect(rolledBack.timeline).toEqual(expect.arrayContaining([expect.stringMatching(/^undo restore-database ok/)]));
    expect(killed.attempts).toBe(2);
    expect(killed.landed).toMatch(/mid-work|after the work/);
  }, 420_000);

  it('release directories with snapshots: an error at migrate renames the snapshot in and points current back at v1, with no npm', async () => {
    const c = lab.stations[2]!;
    expect(c.setup).toBe('releases+snapshot');
    const r = await runExact(c, 'migrate/error@releases+snapshot');
    expect(r.timeline).toEqual(expect.arrayContaining([
      expect.stringMatching(/^undo restore-database ok/),
      expect.stringMatching(/^undo reactivate-release ok/),
      expect.stringMatching(/^undo reinstall-dependencies skipped/),
    ]));
    expect(realpathSync(c.prod.appDir)).toMatch(new RegExp(`/releases/20260101000000-${lab.origin.tags.v1!.slice(0, 12)}$`));
  }, 300_000);

  it('a dev server stopped and started again during the backup: the deployment completes', async () => {
    const r = await runExact(lab.stations[0]!, 'backup/restart-server');
    expect(r.attempts).toBeGreaterThanOrEqual(1);
  }, 300_000);
});
