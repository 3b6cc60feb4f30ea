// The migration risk lint's public API: each migration is parsed once with PostgreSQL's own parser
// (libpg-query, loaded when this module is imported), then every rule sees every statement, on top
// of what the migrations before it built.
export {
  DEFAULT_LIMITS,
  Linter,
  lintDeployment,
  lintMigration,
  lintMigrations,
  worstSeverity,
  type LintLimits,
  type LintOptions,
  type MigrationSource,
} from './lintMigration.js';
export { lintMigrationsDir } from './lintMigrationsDir.js';
export { rules } from './rules/index.js';
export type { Finding, FindingSeverity, LintReport, MigrationLint, MigrationSeverity, Risk, Rule } from './types.js';
