import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Pure logic: no server, no git, npm or child process, no build — seconds (`npm run test:unit`).
 * A file here that reads what a global set-up provides fails (test/unitSetup.ts). A new test file
 * that is not listed lands in `integration`, where everything is started.
 */
const UNIT = [
  'test/plan/*.test.ts',
  'test/lint/rules/*.test.ts',
  'test/lint/{dataNeeds,lintMigration,lintMigrationsDir,recipes,registry}.test.ts',
  'test/shared/*.test.ts',
  'test/config/*.test.ts',
  'test/commands/*.test.ts',
  'test/bench/*.test.ts',
  'test/lib/*.test.ts',
  'test/exec/redact.test.ts',
  'test/faults/{cases,smokeRows}.test.ts',
  'test/cli/{calendar,context,live,options,render,scheduleRender}.test.ts',
  'test/postgres/{state,schemaDiff,statementEffects}.test.ts',
  'test/release/liveModules.test.ts',
  'test/activities/{config,dependencies,envLookup,http,migrationHistory,migrations,notify}.test.ts',
  'test/activities/{prismaCli,prismaHazards}.test.ts',
  'test/security/{configPaths,lockIds,ownProperties,slackEscaping}.test.ts',
  'test/unitSetup.test.ts',
];

/** Workflow code on stub activities: the time-skipping test server each file starts, and replay. */
const WORKFLOW = ['test/workflows/*.test.ts', 'test/replay/*.test.ts', 'test/workerBundle.test.ts'];

export default defineConfig({
  test: {
    pool: 'forks',
    // vitest's default is one worker per core less one: a single worker on 2 cores. The integration
    // files mostly wait (npm, PostgreSQL, health polls, PostgreSQL's 10 s statistics interval), so
    // three run side by side; each has its own production, task queue and worker.
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 600_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'reports/vitest.json' },
    // Each project starts only what its tests need; `npm test` runs them all (`--project <name>` one).
    // `integration` and `cluster` each have the Temporal server their global setup starts: the dev
    // server, or one with PostgreSQL persistence built from Go (skipped, saying why, where it cannot be built).
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: UNIT,
          setupFiles: ['test/unitSetup.ts'],
          // Pure files share their workers' module cache (libpg-query, zod schemas load once): no file
          // here mocks modules or changes the environment.
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'workflow',
          include: WORKFLOW,
          setupFiles: ['test/setup.ts'],
          globalSetup: ['test/workflowGlobalSetup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/cluster/**', ...UNIT, ...WORKFLOW],
          setupFiles: ['test/setup.ts'],
          globalSetup: ['test/globalSetup.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'cluster',
          include: ['test/cluster/**/*.test.ts'],
          setupFiles: ['test/setup.ts'],
          globalSetup: ['test/cluster/globalSetup.ts'],
        },
      },
    ],
  },
});
