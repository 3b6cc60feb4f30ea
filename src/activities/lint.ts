import { lintDeployment } from '../lint/index.js';
import type { LintReport } from '../lint/types.js';

/** The risk lint as an activity: the parser (WebAssembly) stays out of the workflow bundle. */
export function createLintActivities() {
  return {
    /** The pending migrations as one deployment: a table an earlier one of them creates is new (empty) for the later ones. */
    async lintPendingMigrations({ migrations }: { migrations: { name: string; sql: string }[] }): Promise<LintReport> {
      return lintDeployment(migrations);
    },
  };
}
