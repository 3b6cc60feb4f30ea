import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
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
  const leftovers = () => readdirSync(tmpdir()).filter((f) => f.startsWith('safe-deploy-lint-'));

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
