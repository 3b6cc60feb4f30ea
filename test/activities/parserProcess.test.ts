import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TargetConfig } from '../../src/config/schema.js';
import { createLintDatabase, type LintDatabase } from '../helpers/lintDatabase.js';
import { createLintActivities } from '../../src/activities/lint.js';
import { lintDeployment, type LintReport } from '../../src/lint/index.js';

/** The lint activity runs the parser in a process of its own: the same report, nothing left behind. */
describe('lintPendingMigrations, in its own process', () => {
  const migrations = [
    {
      name: '20260201000000_satshot_integration',
      sql: 'ALTER TABLE "users" ADD COLUMN "satshotConnected" BOOLEAN NOT NULL DEFAULT false;\nCREATE TABLE "satshot_tokens" ("id" SERIAL PRIMARY KEY, "token" TEXT NOT NULL);',
    },
    { name: '20260301000000_drop_satshot_tokens', sql: '-- v3\nDROP TABLE "satshot_tokens";' },
    { name: '20260401000000_broken', sql: 'ALTER TABLE "users" ADD COLUMN;' },
  ];
  const leftovers = () => readdirSync(tmpdir()).filter((f) => f.startsWith('safe-deploy-sql-'));

  it('answers exactly what the lint answers in this process, and leaves no scratch folder', async () => {
    const before = leftovers();
    const report = (await new MockActivityEnvironment().run(
      createLintActivities({ configPath: '', env: {} }).lintPendingMigrations,
      {
        migrations,
      },
    )) as LintReport;
    expect(report).toEqual(lintDeployment(migrations));
    // satshot_tokens is made by the same deployment: dropping it loses nothing (issue 16.2).
    expect(report.migrations.map((m) => m.severity)).toEqual(['additive', 'additive', 'invalid']);
    expect(report.migrations[1]!.findings).toEqual([]);
    expect(leftovers()).toEqual(before);
  });

  it('lints nothing as nothing', async () => {
    expect(
      await new MockActivityEnvironment().run(createLintActivities({ configPath: '', env: {} }).lintPendingMigrations, {
        migrations: [],
      }),
    ).toEqual(lintDeployment([]));
  });
});

/** With the target (a deployment): production's catalog read first, its facts handed to the lint process. */
describe('lintPendingMigrations with the live database', () => {
  let db: LintDatabase;
  beforeAll(async () => {
    db = await createLintDatabase('lint_activity');
  }, 120_000);
  afterAll(() => db?.close());

  const target = (lint?: TargetConfig['lint']) =>
    ({ database: { urlEnv: 'PROD_DB_URL' }, ...(lint ? { lint } : {}) }) as unknown as TargetConfig;
  const migrations = [{ name: '20260301000000_indexes', sql: 'CREATE INDEX tiny_note ON tiny (note);' }];

  it('reads the catalog: an index on a 5-row table is a notice, risky above the configured threshold', async () => {
    const activities = createLintActivities({ configPath: '', env: { PROD_DB_URL: db.url } });
    const env = new MockActivityEnvironment();
    const small = (await env.run(activities.lintPendingMigrations, { migrations, target: target() })) as LintReport;
    expect(small.database).toEqual({ serverVersion: expect.stringMatching(/^\d+\.\d+/), tables: 1 });
    expect(small.migrations[0]).toMatchObject({ severity: 'additive' });
    expect(small.migrations[0]!.findings[0]!.message).toContain('Not risky here: tiny holds ~5 rows');
    const strict = (await env.run(activities.lintPendingMigrations, {
      migrations,
      target: target({ riskyAboveRows: 2, mbPerSecond: 100 }),
    })) as LintReport;
    expect(strict.migrations[0]).toMatchObject({ severity: 'risky' });
    expect(strict.migrations[0]!.findings[0]!.message).toMatch(/tiny holds ~5 rows.*at a configured 100 MB\/s/);
    expect(JSON.stringify([small, strict])).not.toContain(db.password);
  });

  it('a catalog it cannot read: the lint goes on without it and says why, never with the password', async () => {
    const wrong = db.url.replace(encodeURIComponent(db.password), 'a-wrong-password-9');
    const activities = createLintActivities({ configPath: '', env: { PROD_DB_URL: wrong } });
    const report = (await new MockActivityEnvironment().run(activities.lintPendingMigrations, {
      migrations,
      target: target(),
    })) as LintReport;
    expect(report.migrations[0]).toMatchObject({ severity: 'risky' });
    expect(report.database).toEqual({ error: expect.stringMatching(/password authentication failed/) });
    expect(JSON.stringify(report)).not.toContain('a-wrong-password-9');
  });
});
