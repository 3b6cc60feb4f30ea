import type pg from 'pg';
import { CancelledFailure } from '@temporalio/common';
import { durationMs } from '../shared/duration.js';
import { appCommand } from '../commands/app.js';
import { gitHead, gitStatus } from '../commands/git.js';
import type { TargetConfig } from '../config/schema.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import type { StepName } from '../shared/steps.js';
import { readMigrations, rowsUntouchedSince, sha256 } from '../postgres/state.js';
import type { TableState } from '../shared/databaseState.js';
import {
  activityAttempt,
  commandEnvValues,
  heartbeat,
  lookupEnv,
  resolveDatabase,
  runInActivity,
  type ActivityDeps,
} from './activityDeps.js';
import { compareWithLockfile } from './dependencies.js';
import { expectationsOf, schemaAndDataChecks, timedCheck } from './expectations.js';
import { appLogTail } from './appLog.js';
import { commandFailure } from './commandFailure.js';
import { appUrl, runHttpChecks, waitHealthy, type CheckResult } from './http.js';
import { classifyMigrations, readMigrationRecords } from './migrationHistory.js';
import { migrationScriptsIn } from '../release/releaseFiles.js';
import { withClient } from '../postgres/pgClient.js';
import { databaseOf, outageAware, outageWaitOf } from '../postgres/outage.js';
import type { ReleaseInfo } from '../shared/releaseFacts.js';
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
   * Whether the migrations must be up to date (every one applied, none failed, edited or missing
   * from the release's folder). False after a code-only rollback: the
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
}

/**
 * The `{{runId}}` of a verification's HTTP checks: short, so that smoke-test emails and names stay
 * valid, and new on each attempt: a retry after a worker died mid-verification would otherwise
 * register the first attempt's smoke user again (409) and fail a healthy release.
 */
export const smokeRunId = (runId: string, attempt = 1): string =>
  sha256(attempt > 1 ? `${runId}#${attempt}` : runId).slice(0, 12);

/**
 * "Verified" after a code-only rollback means equal: per table, every row of the backup is still that very row version.
 */
async function untouchedChecks(
  c: pg.ClientBase,
  u: NonNullable<VerifyInput['unchangedSince']>,
): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  for (const table of u.tables) {
    out.push(
      await timedCheck(`unchanged since the backup: ${table.name}`, 'data', async () => {
        const untouched = await rowsUntouchedSince(c, table.name, u.boundary);
        if (untouched === table.rows)
          return [
            true,
            `all ${table.rows} rows of the backup hold exactly what they held (no transaction since wrote them)`,
          ];
        const changed = table.rows - untouched;
        if (u.othersMayHaveWritten)
          return [
            true,
            `${changed} of ${table.rows} rows of the backup were changed or deleted since, while writes ` +
              `were open: kept as written`,
          ];
        return [
          false,
          `${changed} of ${table.rows} rows of the backup were changed or deleted since it was taken, ` +
            `though nobody else could write: their values are not the backup's`,
        ];
      }),
    );
  }
  return out;
}

export function createAppActivities(deps: ActivityDeps) {
  return {
    /** Runs the configured restart command, then waits until the health endpoint answers 200. */
    async restartApplication({
      target: t,
      step,
    }: {
      target: TargetConfig;
      step: StepName;
    }): Promise<{ healthyAfterMs: number; health: string }> {
      // PostgreSQL first: an app restarted while it is away cannot become healthy.
      return outageAware(
        databaseOf(deps, t, step),
        step,
        async () => {
          try {
            await runInActivity(
              appCommand(t.commands.restart, {
                cwd: t.appDir,
                commandEnv: commandEnvValues(deps, t, step),
                timeoutMs: durationMs(t.commandTimeouts.restart),
              }),
              'restart',
            );
          } catch (e) {
            const log = e instanceof CancelledFailure ? undefined : await appLogTail(deps, t, step);
            throw commandFailure(e, {
              step,
              type: FailureType.RestartFailed,
              what: 'the restart command failed',
              remedy: log ? `see the output, and the app's log:\n${log}` : 'see the output and the app log',
              retryable: true,
            });
          }
          const health = await waitHealthy(
            appUrl(t.baseUrl, t.health.path, 'health.path', step).toString(),
            durationMs(t.health.timeout),
            (attempt) => heartbeat({ phase: 'health', attempt }),
          );
          if (!health.ok) {
            const log = await appLogTail(deps, t, step);
            throw deployFailure(FailureType.HealthCheckFailed, {
              step,
              what: `${t.health.path} did not answer 200 within ${t.health.timeout} (last: ${health.last})`,
              remedy: log
                ? `find why in the app's log:\n${log}`
                : 'see the app log (set `logs` in the config to have its last lines here)',
              retryable: false,
            });
          }
          return { healthyAfterMs: health.afterMs, health: health.last };
        },
        { waitMs: outageWaitOf(t) },
      );
    },

    /**
     * Proves the release is live and whole. Every check runs and is reported; any failure fails
     * the activity with all results in its details, which triggers the rollback.
     */
    async verifyDeployment({
      target: t,
      release,
      baseline,
      runId,
      step,
      migrationsMustBeClean = true,
      unchangedSince,
    }: VerifyInput): Promise<{ checks: CheckResult[] }> {
      return outageAware(
        databaseOf(deps, t, step),
        step,
        async () => {
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
          // Three groups at once (the release's files; its HTTP answers, then the database; the
          // migrations): the verification inside the write pause costs the longest, not their sum.
          // The data checks follow the HTTP ones, so what they count includes our own smoke rows, always.
          const files = async () => [
            await timedCheck('code at release', 'code', async () => {
              const head = (await runInActivity(gitHead(t.appDir), 'head')).stdout.trim();
              const dirty = (await runInActivity(gitStatus(t.appDir), 'status')).stdout.trim();
              return [
                head === release.commit && !dirty,
                `HEAD ${head.slice(0, 12)} ` +
                  `(${release.name})${dirty ? `, local changes: ${dirty.split('\n').length} files` : ', clean'}`,
              ];
            }),
            await timedCheck('node_modules matches lockfile', 'dependencies', async () => {
              const cmp = await compareWithLockfile(t.appDir);
              const required = [...new Set([...t.requiredPackages, ...release.manifest.requiredPackages])];
              const absent = required.filter((p) => !existsSync(join(t.appDir, 'node_modules', p, 'package.json')));
              const ok = cmp.missing.length === 0 && cmp.extraneous.length === 0 && absent.length === 0;
              return [
                ok,
                ok
                  ? `${cmp.packages} packages; required present: ${required.join(', ') || 'none'}`
                  : `missing: ${[...cmp.missing, ...absent].join(', ') || 'none'}; not in lockfile: ` +
                    `${cmp.extraneous.join(', ') || 'none'}`,
              ];
            }),
          ];
          const http = async () => {
            const health = await timedCheck('health', 'health', async () => {
              const h = await waitHealthy(appUrl(t.baseUrl, t.health.path, 'health.path', step).toString(), 10_000);
              return [h.ok, h.last];
            });
            heartbeat({ phase: 'http checks' });
            // Paused at the database, the app cannot write for anyone: a release's writing check
            // (the config's are refused at load) fails unsent, saying why.
            const checks = [...t.checks, ...release.manifest.checks];
            const paused = t.writes.stopAt === 'database';
            const unsent = paused ? checks.filter((c) => c.method !== 'GET') : [];
            return [
              health,
              ...(await runHttpChecks(
                t.baseUrl,
                checks.filter((c) => !unsent.includes(c)),
                smokeRunId(runId, activityAttempt()),
                secrets,
                headers,
              )),
              ...unsent.map((c) => ({
                name: c.name,
                kind: 'http' as const,
                ok: false,
                detail:
                  `not sent: ${c.method} ${c.path} would write while writes are paused at the database ` +
                  `(writes.stopAt 'database'); make the release's check a GET`,
                durationMs: 0,
              })),
            ];
          };
          const data = () =>
            withClient(db, async (c) => [
              ...(await schemaAndDataChecks(c, expectationsOf(t, release.manifest), baseline)),
              ...(unchangedSince ? await untouchedChecks(c, unchangedSince) : []),
            ]);
          // The migrations as `prisma migrate status` reads them — `_prisma_migrations` against the
          // working copy's migration folders, by name and checksum — without starting the CLI in the
          // pause: inspect-migrations held this reading against Prisma's own before anything changed.
          const migrations = async () => [
            migrationsMustBeClean
              ? await timedCheck('migrations up to date', 'migrations', async () => {
                  const entries = classifyMigrations(
                    await withClient(db, readMigrationRecords),
                    await migrationScriptsIn(join(t.appDir, t.migrationsDir)),
                  );
                  const off = entries.filter((e) => e.state !== 'applied');
                  return [
                    off.length === 0,
                    off.length === 0
                      ? `database schema is up to date: all ${entries.length} of ${release.name}'s migrations ` +
                        `applied, checksums equal to its files`
                      : off.map((e) => `${e.name} ${e.state}`).join('; '),
                  ];
                })
              : await timedCheck('release migrations applied', 'migrations', async () => {
                  const rows = await withClient(db, readMigrations);
                  const finished = new Set(rows.filter((r) => r.finished && !r.rolledBack).map((r) => r.name));
                  const unfinished = rows.filter((r) => !r.finished && !r.rolledBack).map((r) => r.name);
                  const missing = release.migrations.filter((m) => !finished.has(m));
                  return [
                    missing.length === 0 && unfinished.length === 0,
                    missing.length || unfinished.length
                      ? `missing: ${missing.join(', ') || 'none'}; unfinished: ${unfinished.join(', ') || 'none'}`
                      : `all ${release.migrations.length} of ${release.name}'s migrations applied; the ` +
                        `database also has ${finished.size - release.migrations.length} newer`,
                  ];
                }),
          ];
          // Settled, all of them, before anything is thrown: no group's command outlives the step.
          const groups = await Promise.allSettled([
            files(),
            http().then(async (h) => [...h, ...(await data())]),
            migrations(),
          ]);
          const broken = groups.find((g): g is PromiseRejectedResult => g.status === 'rejected');
          if (broken) throw broken.reason;
          const checks = groups.flatMap((g) => (g as PromiseFulfilledResult<CheckResult[]>).value);
          const failed = checks.filter((c) => !c.ok);
          if (failed.length > 0) {
            // The app's own words when it stopped answering (health): the other checks say enough themselves.
            const log = failed.some((c) => c.kind === 'health') ? await appLogTail(deps, t, step) : undefined;
            throw deployFailure(FailureType.VerificationFailed, {
              step,
              what:
                `${failed.length} of ${checks.length} checks failed: ` +
                `${failed.map((c) => `${c.name} (${c.detail})`).join('; ')}`,
              remedy:
                (step === 'verify'
                  ? 'the deployment is rolled back automatically; fix the release'
                  : 'finish the rollback by hand: see the failed checks') + (log ? `\n${log}` : ''),
              retryable: false,
              details: { checks },
            });
          }
          return { checks };
        },
        { waitMs: outageWaitOf(t) },
      );
    },
  };
}
