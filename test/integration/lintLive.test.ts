import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/exec/run.js';
import type { DeploymentReport } from '../../src/shared/report.js';
import { expectNoSecretsInHistoryOrLog } from '../helpers/productionState.js';
import { createScenario, type Scenario } from '../helpers/scenario.js';

/**
 * The worker's lint during a real deployment of farm-chat reads production's catalog (issue 16.3):
 * a release that builds two indexes without CONCURRENTLY, one on `users` (the seeded handful of
 * rows) and one on `messages` (filled here above the environment's lint.riskyAboveRows, and
 * analyzed, as autovacuum would). A dry run: the lint, the rehearsal on a copy, nothing changed.
 */
const RELEASE = 'v1-indexes';
let s: Scenario;
let report: DeploymentReport;
let handle: Awaited<ReturnType<Scenario['deploy']>>['handle'];

async function addIndexRelease(): Promise<void> {
  const work = join(s.root, 'index-work');
  const git = (...args: string[]) =>
    run({
      file: 'git',
      args: ['-c', 'user.name=Farm Chat Dev', '-c', 'user.email=dev@farm-chat.example', ...args],
      cwd: work,
    });
  await run({ file: 'git', args: ['clone', '-q', s.origin.dir, work] });
  await git('checkout', '-q', '--detach', 'v1');
  const dir = join(work, 'prisma', 'migrations', '20260301000000_search_indexes');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'migration.sql'),
    '-- CreateIndex\nCREATE INDEX "users_name_idx" ON "users"("name");\n\n-- CreateIndex\nCREATE INDEX "messages_body_idx" ON "messages"("body");\n',
  );
  await git('add', '-A');
  await git('commit', '-q', '--no-verify', '-m', 'Search indexes');
  await git('tag', '-a', RELEASE, '-m', 'Search indexes');
  await git('push', '-q', 'origin', `refs/tags/${RELEASE}`);
}

beforeAll(async () => {
  s = await createScenario('lint-live', { overrides: { lint: { riskyAboveRows: 1000 } } });
  await addIndexRelease();
  await s.query(
    `INSERT INTO messages ("userId", body) SELECT (SELECT min(id) FROM users), 'message ' || i FROM generate_series(1, 3000) i`,
  );
  await s.query('ANALYZE messages');
  ({ handle, report } = await s.deploy(s.request(RELEASE, { dryRun: true })));
}, 600_000);
afterAll(() => s?.close());

describe('the lint during a deployment, with production as it is', () => {
  it('weighs each index by its table: a notice on the small users table, risky on messages with a lock-time estimate', async () => {
    expect(report.outcome).toBe('dry-run');
    const [m] = report.lint ?? [];
    expect(m).toMatchObject({ name: '20260301000000_search_indexes', severity: 'risky' });
    const indexes = m!.findings.filter((f) => f.rule === 'create-index-without-concurrently');
    expect(indexes.map((f) => [f.line, f.severity])).toEqual([
      [2, 'notice'],
      [5, 'risky'],
    ]);
    expect(indexes[0]!.message).toMatch(/Not risky here: users (holds|is empty)/);
    expect(indexes[0]!.message).toContain('risky above lint.riskyAboveRows 1,000 rows');
    expect(indexes[1]!.message).toMatch(
      /messages holds ~3,\d{3} rows, [\d.]+ [kM]B with its indexes in the live database: the index build takes .* under the lock \([\d.]+ [kM]B at an assumed 50 MB\/s\)/,
    );
    // Not destructive: nothing waited for a person.
    expect(report.steps.map((x) => x.name)).toContain('rehearse');
    await expectNoSecretsInHistoryOrLog(s, handle);
  });
});
