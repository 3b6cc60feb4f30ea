import type pg from 'pg';
import { msToNumber } from '@temporalio/common/lib/time.js';
import { appCommand } from '../commands/app.js';
import { gitHead, gitStatus } from '../commands/git.js';
import type { TargetConfig } from '../config/schema.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import type { StepName } from '../shared/steps.js';
import { readMigrations, rowsUntouchedSince, sha256, type TableState } from './dbState.js';
import { activityAttempt, commandEnvValues, heartbeat, lookupEnv, resolveDatabase, runInActivity, type ActivityDeps } from './deps.js';
import { compareWithLockfile } from './dependencies.js';
import { expectationsOf, schemaAndDataChecks, timedCheck } from './expectations.js';
import { commandFailure } from './failures.js';
import { appUrl, runHttpChecks, waitHealthy, type CheckResult } from './http.js';
import { migrateStatus } from './migrations.js';
import { withClient } from './pgClient.js';
import { databaseOf, outageAware, outageWaitOf } from './outage.js';
import type { ReleaseInfo } from './release.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export interface VerifyInput {
  target: TargetConfig;
  /** The release that must be live: its commit, manifest (checks, expectations, packages). */
  release: ReleaseInfo;
  /** Row counts before the deployment; every table must still hold at least as many rows. */
  baseline: Pick<TableState, 'name' | 'rows'>[];
  /** Unique per verification run, for `{{runId}}` in checks. */
  runId: string;
  step: StepName;
  /**
   * Whether `prisma migrate status` must say up to date. False after a code-only rollback: the
   * database then holds migrations the previous release does not have, which must all be finished.
   */
  migrationsMustBeClean?: boolean;
  /**
   * After a code-only rollback: every row that existed at the backup must still be the version the
   * backup holds (no transaction since `boundary` wrote it), so every value that existed is exactly
   * what it was — except rows others changed while writes were open (`othersMayHaveWritten`),
   * which are kept as written and counted.
   */
  unchangedSince?: { boundary: string; tables: Pick<TableState, 'name' | 'rows'>[]; othersMayHaveWritten: boolean };
  /**
   * After a restore proven equal to the backup (schema, rows, `_prisma_migrations`), with the
   * release's code checked at its commit: `prisma migrate status` cannot answer otherwise than it
   * did before the deployment, so that reading is reused (with `_prisma_migrations` read to hold
   * exactly the release's migrations) instead of starting the CLI again. Why it is known.
   */
  migrationStatusKnown?: string;
}

/**
 * The `{{runId}}` of a verification's HTTP checks: short, so that smoke-test emails and names stay
 * valid, and new on each attempt: a retry after a worker died mid-verification would otherwise
 * register the first attempt's smoke user again (409) and fail a healthy release.
 */
export const smokeRunId = (runId: string, attempt = 1): string => sha256(attempt > 1 ? `${runId}#${attempt}` : runId).slice(0, 12);

/** "Verified" after a code-only rollback means equal: per table, every row of the backup is still that very row version. */
async function untouchedChecks(c: pg.ClientBase, u: NonNullable<VerifyInput['unchangedSince']>): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const table of u.tables) {
    out.push(await timedCheck(`unchanged since the backup: ${table.name}`, 'data', async () => {
      const untouched = await rowsUntouchedSince(c, table.name, u.boundary);
      if (untouched === table.rows) return [true, `all ${table.rows} rows of the backup hold exactly what they held (no transaction since wrote them)`];
      const changed = table.rows - untouched;
      if (u.othersMayHaveWritten) return [true, `${changed} of ${table.rows} rows of the backup were changed or deleted since, while writes were open: kept as written`];
      return [false, `${changed} of ${table.rows} rows of the backup were changed or deleted since it was taken, though nobody else could write: their values are not the backup's`];
    }));
  }
  return out;
}

export function createAppActivities(deps: ActivityDeps) {
  return {
    /** Runs the configured restart command, then waits until the health endpoint answers 200. */
    async restartApplication({ target: t, step }: { target: TargetConfig; step: StepName }): Promise<{ healthyAfterMs: number; health: string }> {
      // PostgreSQL first: an app restarted while it is away cannot become healthy.
      return outageAware(databaseOf(deps, t, step), step, async () => {
        try {
          await runInActivity(appCommand(t.commands.restart, { cwd: t.appDir, commandEnv: commandEnvValues(deps, t, step), timeoutMs: msToNumber(t.commandTimeouts.restart as never) }), 'restart');
        } catch (e) {
          throw commandFailure(e, { step, type: FailureType.RestartFailed, what: 'the restart command failed', remedy: 'see the output and the app log', retryable: true });
        }
        const health = await waitHealthy(appUrl(t.baseUrl, t.health.path, 'health.path', step).toString(), msToNumber(t.health.timeout as never), (attempt) => heartbeat({ phase: 'health', attempt }));
        if (!health.ok) {
          throw deployFailure(FailureType.HealthCheckFailed, { step, what: `${t.health.path} did not answer 200 within ${t.health.timeout} (last: ${health.last})`, remedy: 'see the app log', retryable: false });
        }
        return { healthyAfterMs: health.afterMs, health: health.last };
      }, { waitMs: outageWaitOf(t) });
    },

    /**
     * Proves the release is live and whole. Every check runs and is reported; any failure fails
     * the activity with all results in its details, which triggers the rollback.
     */
    async verifyDeployment({ target: t, release, baseline, runId, step, migrationsMustBeClean = true, unchangedSince, migrationStatusKnown }: VerifyInput): Promise<{ checks: CheckResult[] }> {
      return outageAware(databaseOf(deps, t, step), step, async () => {
        const { db, url } = resolveDatabase(deps, t, step);
        const secrets = [db.password, url];
        // While writes are paused, the app lets requests carrying the bypass token through: ours.
        // runHttpChecks sends it (and the checks' bearer tokens) to baseUrl's origin only.
        const headers: Record<string, string> = {};
        const bypass = t.writes.bypass ? lookupEnv(deps, t.envFile, t.writes.bypass.valueEnv) : undefined;
        if (t.writes.bypass && bypass) {
          headers[t.writes.bypass.header] = bypass.value;
          secrets.push(bypass.value);
        }
        // Four independent groups at once (the release's files, its HTTP answers, the database, the
        // migrations): the verification inside the write pause costs the longest, not their sum. Data
        // checks only ask for at least as many rows as before: our own smoke checks may add some meanwhile.
        const files = async () => [
          await timedCheck('code at release', 'code', async () => {
            const head = (await runInActivity(gitHead(t.appDir), 'head')).stdout.trim();
            const dirty = (await runInActivity(gitStatus(t.appDir), 'status')).stdout.trim();
            return [head === release.commit && !dirty, `HEAD ${head.slice(0, 12)} (${release.name})${dirty ? `, local changes: ${dirty.split('\n').length} files` : ', clean'}`];
          }),
          await timedCheck('node_modules matches lockfile', 'dependencies', async () => {
            const cmp = await compareWithLockfile(t.appDir);
            const required = [...new Set([...t.requiredPackages, ...release.manifest.requiredPackages])];
            const absent = required.filter((p) => !existsSync(join(t.appDir, 'node_modules', p, 'package.json')));
            const ok = cmp.missing.length === 0 && cmp.extraneous.length === 0 && absent.length === 0;
            return [ok, ok ? `${cmp.packages} packages; required present: ${required.join(', ') || 'none'}` : `missing: ${[...cmp.missing, ...absent].join(', ') || 'none'}; not in lockfile: ${cmp.extraneous.join(', ') || 'none'}`];
          }),
        ];
        const http = async () => {
          const health = await timedCheck('health', 'health', async () => {
            const h = await waitHealthy(appUrl(t.baseUrl, t.health.path, 'health.path', step).toString(), 10_000);
            return [h.ok, h.last];
          });
          heartbeat({ phase: 'http checks' });
          return [health, ...(await runHttpChecks(t.baseUrl, [...t.checks, ...release.manifest.checks], smokeRunId(runId, activityAttempt()), secrets, headers))];
        };
        const data = () => withClient(db, async (c) => [
          ...(await schemaAndDataChecks(c, expectationsOf(t, release.manifest), baseline)),
          ...(unchangedSince ? await untouchedChecks(c, unchangedSince) : []),
        ]);
        const migrations = async () => [migrationsMustBeClean && migrationStatusKnown
          ? await timedCheck('prisma migrate status', 'migrations', async () => {
            const rows = await withClient(db, readMigrations);
            const applied = rows.filter((r) => r.finished && !r.rolledBack).map((r) => r.name).sort();
            const unfinished = rows.filter((r) => !r.finished && !r.rolledBack).map((r) => r.name);
            const exact = unfinished.length === 0 && JSON.stringify(applied) === JSON.stringify([...release.migrations].sort());
            return [exact, exact
              ? `database schema is up to date (${migrationStatusKnown}; _prisma_migrations holds exactly ${release.name}'s ${release.migrations.length} migrations)`
              : `_prisma_migrations is not ${release.name}'s: applied ${applied.join(', ') || 'none'}; unfinished ${unfinished.join(', ') || 'none'}`];
          })
          : migrationsMustBeClean
          ? await timedCheck('prisma migrate status', 'migrations', async () => {
            const s = await migrateStatus(deps, t, step);
            return [s.status === 'clean', s.status === 'clean' ? 'database schema is up to date' : `status ${s.status}`];
          })
          : await timedCheck('release migrations applied', 'migrations', async () => {
            const rows = await withClient(db, readMigrations);
            const finished = new Set(rows.filter((r) => r.finished && !r.rolledBack).map((r) => r.name));
            const unfinished = rows.filter((r) => !r.finished && !r.rolledBack).map((r) => r.name);
            const missing = release.migrations.filter((m) => !finished.has(m));
            return [missing.length === 0 && unfinished.length === 0, missing.length || unfinished.length
              ? `missing: ${missing.join(', ') || 'none'}; unfinished: ${unfinished.join(', ') || 'none'}`
              : `all ${release.migrations.length} of ${release.name}'s migrations applied; the database also has ${finished.size - release.migrations.length} newer`];
          })];
        // Settled, all of them, before anything is thrown: no group's command outlives the step.
        const groups = await Promise.allSettled([files(), http(), data(), migrations()]);
        const broken = groups.find((g): g is PromiseRejectedResult => g.status === 'rejected');
        if (broken) throw broken.reason;
        const checks = groups.flatMap((g) => (g as PromiseFulfilledResult<CheckResult[]>).value);
        const failed = checks.filter((c) => !c.ok);
        if (failed.length > 0) {
          throw deployFailure(FailureType.VerificationFailed, {
            step,
            what: `${failed.length} of ${checks.length} checks failed: ${failed.map((c) => `${c.name} (${c.detail})`).join('; ')}`,
            remedy: step === 'verify' ? 'the deployment is rolled back automatically; fix the release' : 'finish the rollback by hand: see the failed checks',
            retryable: false,
            details: { checks },
          });
        }
        return { checks };
      }, { waitMs: outageWaitOf(t) });
    },
  };
}
