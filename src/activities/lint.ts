import { lintMigrations } from '../lint/index.js';
import type { LintReport } from '../lint/types.js';

/** The risk lint as an activity: the parser (WebAssembly) stays out of the workflow bundle. */
export function createLintActivities() {
  return {
    async lintPendingMigrations({ migrations }: { migrations: { name: string; sql: string }[] }): Promise<LintReport> {
      return lintMigrations(migrations);
    },
  };
}
