import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/globalSetup.ts'],
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
  },
});
