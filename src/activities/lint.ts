import type { TargetConfig } from '../config/schema.js';
import { redact } from '../exec/redact.js';
import type { DatabaseFacts, SizeThresholds } from '../lint/databaseFacts.js';
import { mentionedIn, readDatabaseFacts } from '../lint/readDatabaseFacts.js';
import type { LintReport } from '../lint/types.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import { resolveDatabase, type ActivityDeps } from './activityDeps.js';
import { runInParserProcess } from './parserProcess.js';
import { withClient } from '../postgres/pgClient.js';

/** What the lint process reads: the migrations and, when the database could be read, its facts. */
export interface LintProcessInput {
  migrations: { name: string; sql: string }[];
  database?: DatabaseFacts;
  sizes?: Partial<SizeThresholds>;
}

/** The worker config's `lint` thresholds, in the lint's units. */
export function sizeThresholds(lint: TargetConfig['lint']): Partial<SizeThresholds> {
  return {
    ...(lint?.riskyAboveRows !== undefined ? { riskyAboveRows: lint.riskyAboveRows } : {}),
    ...(lint?.riskyAboveMb !== undefined ? { riskyAboveBytes: Math.round(lint.riskyAboveMb * 1024 * 1024) } : {}),
    ...(lint?.mbPerSecond !== undefined
      ? { bytesPerSecond: lint.mbPerSecond * 1024 * 1024, throughput: 'configured' as const }
      : {}),
  };
}

/** Bounds of the catalog read: it is a few small queries, and must never wait long behind a lock. */
const CATALOG_LIMITS = { statementTimeoutMs: 10_000, lockTimeoutMs: 2_000 };

/**
 * The risk lint as an activity, run in a short-lived process (parserProcessEntry.ts): the parser
 * (WebAssembly) stays out of the workflow bundle and out of the worker's memory.
 */
export function createLintActivities(deps: ActivityDeps) {
  return {
    /**
     * The pending migrations in order, each on top of what the ones before it built, as one
     * deployment (lintDeployment): a table an earlier pending migration creates is still new,
     * empty and unknown to the previous release, so dropping it later in the same deployment
     * loses nothing (issue 16.2). What the applied migrations built comes from the live catalog.
     *
     * With the target (a deployment), the production database's catalog is read first, over one
     * read-only connection: function volatility, the sizes of the tables the migrations name,
     * their NOT NULL columns and validated constraints, the server's version. A lock-time finding
     * on a table at or under the target's `lint` thresholds is then a notice. When the catalog
     * cannot be read the lint goes on without it and the report says why.
     */
    async lintPendingMigrations({
      migrations,
      target,
    }: {
      migrations: { name: string; sql: string }[];
      target?: TargetConfig;
    }): Promise<LintReport> {
      const input: LintProcessInput = { migrations };
      let unread: string | undefined;
      if (target && migrations.length > 0) {
        const { url, db } = resolveDatabase(deps, target, 'lint-migrations');
        try {
          input.database = await withClient(
            db,
            (client) => readDatabaseFacts(client, mentionedIn(migrations.map((m) => m.sql)), CATALOG_LIMITS),
            { limits: CATALOG_LIMITS },
          );
          input.sizes = sizeThresholds(target.lint);
        } catch (e) {
          unread = redact((e as Error).message, [url, db.password ?? '']);
        }
      }
      let report: LintReport;
      try {
        report = await runInParserProcess<LintReport>('lint', input, 'lint');
      } catch (e) {
        throw deployFailure(FailureType.CommandFailed, {
          step: 'lint-migrations',
          what: `the migration lint did not run: ${(e as Error).message}`,
          remedy: 'see the worker log; nothing was changed',
          retryable: true,
        });
      }
      return unread === undefined ? report : { ...report, database: { error: unread } };
    },
  };
}
