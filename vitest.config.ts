import { configDefaults, defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    setupFiles: ['test/setup.ts'],
    pool: 'forks',
    // vitest's default is one worker per core less one: a single worker on 2 cores. The integration
    // files mostly wait (npm, PostgreSQL, health polls, PostgreSQL's 10 s statistics interval), so
    // three run side by side; each has its own production, task queue and worker.
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 600_000,
    reporters: ['default', 'json'],
    outputFile: { json: 'reports/vitest.json' },
    // Two projects, each with the Temporal server its global setup starts: `main` (everything so
    // far) on the dev server, `cluster` on a Temporal server with PostgreSQL persistence built
    // from Go (skipped, saying why, where it cannot be built). `vitest run --project cluster`.
    projects: [
      {
        extends: true,
        test: {
          name: 'main',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/cluster/**'],
          globalSetup: ['test/globalSetup.ts'],
        },
      },
      {
        extends: true,
        test: { name: 'cluster', include: ['test/cluster/**/*.test.ts'], globalSetup: ['test/cluster/globalSetup.ts'] },
      },
    ],
  },
});
