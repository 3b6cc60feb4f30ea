import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LintReport } from '../lint/types.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import { runInActivity } from './deps.js';

/**
 * The compiled lint process: beside this file once built; from the sources (the tests run them),
 * the build's copy.
 */
export function lintProcessPath(): string {
  const beside = fileURLToPath(new URL('./lintProcess.js', import.meta.url));
  return existsSync(beside)
    ? beside
    : fileURLToPath(new URL('../../dist/src/activities/lintProcess.js', import.meta.url));
}

/**
 * The risk lint as an activity, run in a short-lived process (lintProcess.ts): the parser
 * (WebAssembly) stays out of the workflow bundle and out of the worker's memory.
 */
export function createLintActivities() {
  return {
    /**
     * The pending migrations in order, each on top of what the ones before it built. Each is
     * still linted as if deployed alone (lintMigrations, not lintDeployment): a table an earlier
     * pending migration creates counts as existing, so dropping it later in the same deployment
     * still waits at the migration-risk gate, as the deployment scenarios expect.
     */
    async lintPendingMigrations({ migrations }: { migrations: { name: string; sql: string }[] }): Promise<LintReport> {
      const dir = await mkdtemp(join(tmpdir(), 'safe-deploy-lint-')); // 0700: the SQL of unreleased migrations
      try {
        const input = join(dir, 'migrations.json');
        const output = join(dir, 'report.json');
        await writeFile(input, JSON.stringify({ migrations }), { mode: 0o600, flag: 'wx' });
        try {
          await runInActivity(
            { file: process.execPath, args: [lintProcessPath(), input, output], timeoutMs: 120_000 },
            'lint',
          );
        } catch (e) {
          throw deployFailure(FailureType.CommandFailed, {
            step: 'lint-migrations',
            what: `the migration lint did not run: ${(e as Error).message}`,
            remedy: 'see the worker log; nothing was changed',
            retryable: true,
          });
        }
        return JSON.parse(await readFile(output, 'utf8')) as LintReport;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}
