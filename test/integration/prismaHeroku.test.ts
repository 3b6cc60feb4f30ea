import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  installPrismaHeroku,
  PRISMA_HEROKU_SEED_AUTHORS,
  runWeb,
  waitForPrismaHeroku,
  type PrismaHerokuProduction,
} from '../../scripts/lib/prismaHeroku.js';
import { checkoutRef } from '../../scripts/lib/sampleApp.js';
import type { DeploymentReport } from '../../src/shared/report.js';
import {
  createAppScenario,
  historyText,
  PRISMA_HEROKU_APP,
  recordHistory,
  type Scenario,
} from '../helpers/scenario.js';

/**
 * A sample app that is not ours: prisma-examples' Express + Prisma blog (examples/prisma-heroku),
 * no maintenance mode (writes policy `detect`), the previous release started on the migrated copy
 * by the rehearsal. One production for the file: first a release whose migration rewrites the
 * users' emails and whose app then does not start, then v2.
 */
let s: Scenario<PrismaHerokuProduction>;
let v1Dump: string;
/** Production as the file found it, before any deployment. */
let initial: Awaited<ReturnType<typeof production>>;

/** What a deployment's verification and rollback checks write (one author and one post per run); everything else is the app's data. */
const NOT_SMOKE_USER = `email NOT LIKE 'smoke-%@prisma-heroku.example'`;
const NOT_SMOKE_POST = `title NOT LIKE 'Deployment smoke test %'`;

/** The app's data, row by row and column by column, as v1 knows it; the schema and migrations; the code. */
async function production() {
  return {
    users: await s.query(`SELECT id, email, name FROM "User" WHERE ${NOT_SMOKE_USER} ORDER BY id`),
    posts: await s.query(
      `SELECT id, "authorId", title, content, published FROM "Post" WHERE ${NOT_SMOKE_POST} ORDER BY id`,
    ),
    columns: await s.query(
      `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2`,
    ),
    migrations: await s.query(
      'SELECT migration_name, checksum, finished_at IS NOT NULL AS finished FROM _prisma_migrations ORDER BY migration_name',
    ),
    head: s.head(),
  };
}

const pgEnv = (url: string) => {
  const u = new URL(url);
  return {
    PGHOST: u.hostname,
    PGPORT: u.port,
    PGUSER: decodeURIComponent(u.username),
    PGPASSWORD: decodeURIComponent(u.password),
    PGDATABASE: decodeURIComponent(u.pathname.slice(1)),
  };
};
const pgTool = (tool: string, args: string[]) =>
  execFileSync(join(inject('pg').binDir, tool), ['--no-password', ...args], {
    env: { PATH: process.env.PATH, ...pgEnv(s.databaseUrl) },
    stdio: 'pipe',
  });

/**
 * Puts v1 and its data back by hand (the test's own dump, taken before any deployment), for when a
 * case before left production elsewhere: the next case then tests only itself.
 */
async function putV1BackByHand(): Promise<void> {
  await runWeb(s.prod, 'stop');
  const admin = new pg.Client({ connectionString: inject('pg').superuserUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE "${s.database}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${s.database}" OWNER "${pgEnv(s.databaseUrl).PGUSER}"`);
  } finally {
    await admin.end();
  }
  pgTool('pg_restore', ['--no-owner', '--exit-on-error', '--dbname', s.database, v1Dump]);
  if (s.head() !== s.origin.tags.v1) {
    await checkoutRef(s.prod.appDir, 'v1');
    await installPrismaHeroku(s.prod.appDir);
  }
  await runWeb(s.prod, 'start');
  await waitForPrismaHeroku(s.prod);
}

beforeAll(async () => {
  s = await createAppScenario(PRISMA_HEROKU_APP, 'express');
  v1Dump = join(s.root, 'v1-by-the-test.dump');
  pgTool('pg_dump', ['--format=custom', '--file', v1Dump]);
  initial = await production();
}, 600_000);
afterAll(async () => s?.close());

describe('the prisma-heroku production the deployments start from', () => {
  it('is v1 with the seeded authors, their emails as typed (capitals included), and posts', async () => {
    const { users, posts, head } = await production();
    expect(head).toBe(s.origin.tags.v1);
    expect(users.map((u) => u.email)).toEqual(['jane@prisma.io', ...PRISMA_HEROKU_SEED_AUTHORS.map((a) => a.email)]);
    expect(users.filter((u) => u.email !== u.email.toLowerCase())).toHaveLength(8);
    expect(posts).toHaveLength(22);
  });
});

describe('v1 → v2-rewrite-fails-start: the migration lower-cases the emails, then the app does not start', () => {
  let before: Awaited<ReturnType<typeof production>>;
  let report: DeploymentReport;
  let handle: Awaited<ReturnType<Scenario['deploy']>>['handle'];

  beforeAll(async () => {
    before = await production();
    ({ handle, report } = await s.deploy(s.request('v2-rewrite-fails-start')));
    await recordHistory(handle, 'prisma-heroku-rewrite-fails-start');
  }, 600_000);

  it('fails at restart, rolls back, and v1 serves again', async () => {
    expect(report.outcome).toBe('rolled-back');
    expect(report.error).toMatchObject({ step: 'restart' });
    expect(report.migrations?.applied).toEqual([
      '20260203000000_post_view_count',
      '20260204000000_normalize_user_emails',
    ]);
    // The case of issue 13: the lint used to see nothing but additions, and v1 runs on the migrated
    // copy, so a code-only rollback kept the lower-cased emails. Now the UPDATE of an existing
    // column is risky (update-existing-values), and the plan restores the backup.
    expect(report.lint?.map((m) => m.severity)).toEqual(['additive', 'risky']);
    expect(report.lint?.[1]?.findings.map((f) => f.rule)).toContain('update-existing-values');
    expect(report.rollbackPlan).toEqual({ strategy: 'restore-database', why: 'a pending migration is not additive' });
    expect(s.head()).toBe(s.origin.tags.v1);
    expect(await (await fetch(`${s.prod.baseUrl}/api`)).json()).toEqual({ up: true });
    expect(await historyText(handle)).not.toContain(s.dbPassword);
  });

  it('brings the database back as it was: every email exactly as typed, row by row, and no trace of the release', async () => {
    const now = await production();
    // Soft: one run shows everything that differs.
    expect.soft(now.users, 'users (id, email, name)').toEqual(before.users);
    expect.soft(now.posts, 'posts').toEqual(before.posts);
    expect.soft(now.columns, 'columns').toEqual(before.columns);
    expect.soft(now.migrations, '_prisma_migrations').toEqual(before.migrations);
    expect
      .soft(report.rollback, 'the rollback restored the database')
      .toMatchObject({ strategy: 'restore-database', databaseRestored: true, verified: true });
  });
});

describe('v1 → v2: an additive migration and a view counter', () => {
  let before: Awaited<ReturnType<typeof production>>;
  let report: DeploymentReport;

  beforeAll(async () => {
    before = await production();
    // From v1 and its data: if the case above left production elsewhere (its own test says so), by hand.
    if (JSON.stringify(before) !== JSON.stringify(initial)) {
      await putV1BackByHand();
      before = await production();
      expect(before).toEqual(initial);
    }
    ({ report } = await s.deploy(s.request('v2')));
  }, 600_000);

  it('is deployed, every step ok, the migration applied', () => {
    expect(report.error).toBeUndefined();
    expect(report.outcome).toBe('deployed');
    expect(report.release).toMatchObject({
      from: { commit: s.origin.tags.v1, name: 'v1' },
      to: { commit: s.origin.tags.v2, name: 'v2' },
    });
    expect(report.steps.filter((x) => x.status !== 'ok')).toEqual([]);
    expect(report.migrations).toEqual({
      statusBefore: 'clean',
      pending: ['20260203000000_post_view_count'],
      applied: ['20260203000000_post_view_count'],
    });
    expect(report.writes).toMatchObject({ policy: 'detect' });
  });

  it('added Post.viewCount (0 for every post) and kept every pre-existing row by content', async () => {
    const now = await production();
    expect(now.head).toBe(s.origin.tags.v2);
    expect(now.columns.filter((c) => c.column_name !== 'viewCount')).toEqual(before.columns);
    expect(now.columns.filter((c) => c.column_name === 'viewCount')).toEqual([
      { table_name: 'Post', column_name: 'viewCount', data_type: 'integer' },
    ]);
    expect(now.users).toEqual(before.users);
    expect(now.posts).toEqual(before.posts);
    expect(await s.query(`SELECT count(*)::int AS n FROM "Post" WHERE "viewCount" <> 0`)).toEqual([{ n: 0 }]);
  });

  it('serves v2: the view counter counts', async () => {
    const id = (await s.query<{ id: number }>(`SELECT min(id) AS id FROM "Post"`))[0]!.id;
    const view = () =>
      fetch(`${s.prod.baseUrl}/api/post/${id}/views`, { method: 'PUT' }).then(
        (r) => r.json() as Promise<{ viewCount: number }>,
      );
    expect((await view()).viewCount).toBe(1);
    expect((await view()).viewCount).toBe(2);
  });
});
