import { lintMigrations } from '../lint/index.js';
import type { LintReport } from '../lint/types.js';

/** The risk lint as an activity: the parser (WebAssembly) stays out of the workflow bundle. */
export function createLintActivities() {
  return {
    /**
     * The pending migrations in order, each on top of what the ones before it built. Each is
     * still linted as if deployed alone (lintMigrations, not lintDeployment): a table an earlier
     * pending migration creates counts as existing, so dropping it later in the same deployment
     * still waits at the migration-risk gate, as the deployment scenarios expect.
     */
    async lintPendingMigrations({ migrations }: { migrations: { name: string; sql: string }[] }): Promise<LintReport> {
      return lintMigrations(migrations);
    },
  };
}
