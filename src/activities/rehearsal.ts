import { createServer } from 'node:net';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { durationMs } from '../shared/duration.js';
import { databaseUrl, pgDump, pgRestore, withDatabase, type DbTarget } from '../commands/pg.js';
import type { TargetConfig } from '../config/schema.js';
import { CommandFailed, lastLines, startService } from '../exec/run.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import {
  captureColumns,
  existingDataChanges,
  readMigrations,
  sha256,
  type ExistingDataChange,
} from '../postgres/state.js';
import type { TableState } from '../shared/databaseState.js';
import { finishedNames } from './migrations.js';
import {
  commandEnvValues,
  heartbeat,
  readEnvFile,
  resolveDatabase,
  runInActivity,
  type ActivityDeps,
} from './activityDeps.js';
import { expectationsOf, schemaAndDataChecks, timedCheck } from './expectations.js';
import { commandFailure } from './commandFailure.js';
import { appUrl, runHttpChecks, waitHealthy, type CheckResult } from './http.js';
import { codePaths } from './layout.js';
import { outageAware, outageWaitOf } from '../postgres/outage.js';
import { createOwnDatabase, dropOwnDatabase, ownDatabaseName, ownerOf } from '../postgres/ownDatabases.js';
import { withClient } from '../postgres/pgClient.js';
import { prismaCommand, runPrisma } from './prismaCli.js';
import { privateTempDir, removeLeftovers } from '../release/privateFiles.js';
import type { ReleaseInfo } from '../shared/releaseFacts.js';
import { migrationScriptsIn } from '../release/releaseFiles.js';
import { runInParserProcess } from './parserProcess.js';
import { rehearsalScope, type RehearsalScope } from '../postgres/rehearsalScope.js';
import type { DataNeeds } from '../lint/dataNeeds.js';
import type { RehearsalCopy } from '../shared/report.js';

export interface RehearsalInput {
  deploymentId: string;
  target: TargetConfig;
  /** The verified backup to copy; absent on a dry run, which dumps production into scratch space instead. */
  backupPath?: string;
  /** A snapshot backup without a dump: the copy is made from the snapshot database (closed, no sessions). */
  templateDatabase?: string;
  /** The staged target release: its own checkout and node_modules. */
  stagedDir: string;
  release: ReleaseInfo;
  /** The live release, to start against the migrated copy (backward compatibility). */
  previous: ReleaseInfo & { dir: string };
  baseline: Pick<TableState, 'name' | 'rows'>[];
  /**
   * Fingerprint every table and column before and after migrating the copy (content, not counts):
   * a code-only rollback is allowed only when the migration changed no value that existed.
   */
  measureExistingData?: boolean;
}

export interface RehearsalFacts {
  /** Each migration the copy ran, and how long it took there. */
  migrations: { name: string; durationMs: number }[];
  checks: CheckResult[];
  /** undefined when not tried (no `rehearsal.startPrevious` in the config). */
  previousReleaseCompatible?: boolean;
  /** What the migration did to data that existed before it (empty: nothing); absent when not measured. */
  existingDataChanges?: ExistingDataChange[];
  compatibility?: string;
  /** Which rows the copy got (absent: a copy of the backup, every row). */
  copied?: RehearsalCopy;
  durationMs: number;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

const copyOf = (scope: RehearsalScope): RehearsalCopy =>
  scope.fullBecause !== undefined ? { everyRow: scope.fullBecause } : { rowsOf: scope.withRows };

/** The rows the staged release's pending migrations (not applied in production) can depend on. */
async function scopeOfPending(t: TargetConfig, db: DbTarget, stagedDir: string): Promise<RehearsalScope> {
  heartbeat({ phase: 'which rows the migrations need' });
  const scripts = await migrationScriptsIn(join(stagedDir, t.migrationsDir));
  const done = new Set(finishedNames(await withClient(db, readMigrations)));
  const pending = scripts
    .filter((s) => !done.has(s.name))
    .map((s) => ({ name: s.name, sql: s.bytes.toString('utf8') }));
  const needs = await runInParserProcess<DataNeeds>('dataNeeds', { migrations: pending }, 'read the migrations');
  return withClient(db, (c) => rehearsalScope(c, needs));
}

export function createRehearsalActivities(deps: ActivityDeps) {
  /** Starts the previous release against the migrated copy and runs its health and checks. */
  async function tryPrevious(
    t: TargetConfig,
    previous: RehearsalInput['previous'],
    copy: DbTarget,
    deploymentId: string,
  ): Promise<{ compatible: boolean; detail: string; checks: CheckResult[] }> {
    const sp = t.rehearsal.startPrevious!;
    const port = await freePort();
    const url = databaseUrl(copy);
    // The app's own environment (its env file), pointed at the copy and a port of its own.
    const env = {
      ...readEnvFile(t.envFile),
      ...commandEnvValues(deps, t, 'rehearse'),
      [t.database.appEnvName]: url,
      [sp.portEnv]: String(port),
    };
    const [file, ...args] = sp.command;
    const service = startService({
      file: file!,
      args,
      cwd: previous.dir,
      env,
      secrets: [copy.password, url, ...Object.values(readEnvFile(t.envFile))],
    });
    try {
      const base = `http://127.0.0.1:${port}`;
      const health = await waitHealthy(
        appUrl(base, t.health.path, 'health.path', 'rehearse').toString(),
        durationMs(sp.timeout),
        () => heartbeat({ phase: 'previous release starting' }),
      );
      if (!health.ok) {
        const why = service.exited() ? `it exited: ${lastLines(service.output(), 5)}` : `last answer: ${health.last}`;
        return {
          compatible: false,
          detail: `${previous.name} did not become healthy on the migrated copy (${why})`,
          checks: [],
        };
      }
      const checks = await runHttpChecks(
        base,
        [...t.checks, ...previous.manifest.checks],
        sha256(`${deploymentId}-compat`).slice(0, 12),
        [copy.password, url],
      );
      const failed = checks.filter((c) => !c.ok);
      return {
        compatible: failed.length === 0,
        detail: failed.length
          ? `${previous.name}'s checks failed on the migrated copy: ` +
            `${failed.map((c) => `${c.name} (${c.detail})`).join('; ')}`
          : `${previous.name} is healthy and its ${checks.length} checks pass on the migrated copy`,
        checks,
      };
    } finally {
      await service.stop();
    }
  }

  /** One attempt of the rehearsal: the copy made, migrated, checked, and dropped. */
  async function rehearseOnCopy({
    deploymentId,
    target: t,
    backupPath,
    templateDatabase,
    stagedDir,
    release,
    previous,
    baseline,
    measureExistingData,
  }: RehearsalInput): Promise<RehearsalFacts> {
    const started = Date.now();
    const { db } = resolveDatabase(deps, t, 'rehearse');
    const maintenance = withDatabase(db, t.database.maintenanceDatabase);
    const owner = ownerOf(t, db);
    const copy = withDatabase(db, ownDatabaseName(db.database, deploymentId, 'rehearsal-copy'));
    const makeCopy = (template?: string) =>
      withClient(maintenance, (c) =>
        createOwnDatabase(c, owner, { deploymentId, kind: 'rehearsal-copy', step: 'rehearse', template }),
      );
    // A dry run's dump of production goes to a private folder of this attempt; an earlier attempt's goes first.
    const workPrefix = `rehearsal-${sha256(deploymentId).slice(0, 8)}-`;
    await removeLeftovers(codePaths(t).workDir, workPrefix);
    let work: string | undefined;
    let copied: RehearsalScope | undefined;
    try {
      if (templateDatabase) {
        // The snapshot is sealed (closed to connections): copying it leaves it untouched.
        await makeCopy(templateDatabase);
      } else {
        await makeCopy();
        let dump = backupPath;
        if (!dump) {
          // A dry run has no backup: dump production (read-only) into scratch space.
          work = await privateTempDir(codePaths(t).workDir, workPrefix, { field: 'workDir', step: 'rehearse' });
          // A scratch copy read back at once: parallel and uncompressed (compressing a gigabyte
          // costs more than writing it), consistent across its jobs (pg_dump synchronises them).
          dump = join(work, 'production.dir');
          // Every table's schema, but only the rows the migrations can depend on (rehearsalScope.ts).
          const everyRow =
            t.rehearsal.rows === 'all'
              ? 'rehearsal.rows is all'
              : t.rehearsal.startPrevious || measureExistingData
                ? 'the previous release runs on the copy (rehearsal.startPrevious)'
                : undefined;
          copied = everyRow
            ? { withRows: [], excludeRows: [], fullBecause: everyRow }
            : await scopeOfPending(t, db, stagedDir);
          heartbeat({ phase: 'dump for rehearsal' });
          await runInActivity(
            pgDump(t.pgBinDir ? join(t.pgBinDir, 'pg_dump') : 'pg_dump', db, {
              file: dump,
              format: 'directory',
              jobs: t.backup.jobs,
              compression: 0,
              excludeTableData: copied.excludeRows,
            }),
            'dump for rehearsal',
          );
        }
        heartbeat({ phase: 'copy' });
        try {
          await runInActivity(
            pgRestore(t.pgBinDir ? join(t.pgBinDir, 'pg_restore') : 'pg_restore', copy, {
              file: dump,
              jobs: t.backup.jobs,
            }),
            'restore copy',
          );
        } catch (e) {
          throw commandFailure(e, {
            step: 'rehearse',
            type: FailureType.RehearsalFailed,
            what: 'the backup did not restore into the rehearsal copy',
            remedy: 'check the backup; production is unchanged',
            retryable: true,
          });
        }
      }
      const url = databaseUrl(copy);
      // What existed before the migration, column by column, and the transaction after which
      // everything written is the migration's: measured only when a code-only rollback is possible.
      const existing = measureExistingData
        ? await withClient(copy, async (c) => {
            heartbeat({ phase: 'fingerprint existing data' });
            const before = await captureColumns(c, undefined, {
              onTable: (done, total) => heartbeat({ phase: 'fingerprint existing data', done, total }),
            });
            const { rows } = await c.query<{ xid: string }>('SELECT pg_current_xact_id()::text AS xid');
            return { before, since: rows[0]!.xid };
          })
        : undefined;
      try {
        await runPrisma(
          await prismaCommand(t.commands.migrateDeploy, {
            cwd: stagedDir,
            commandEnv: commandEnvValues(deps, t, 'rehearse'),
            timeoutMs: durationMs(t.commandTimeouts.migrate),
            database: { envName: t.database.appEnvName, url, password: copy.password },
          }),
          'migrate copy',
        );
      } catch (e) {
        const output = e instanceof CommandFailed ? lastLines(`${e.stdout}\n${e.stderr}`, 15) : (e as Error).message;
        // Prisma keeps the failing migration's error (with the statement) in _prisma_migrations.logs.
        const failed = await withClient(copy, (c) =>
          c.query<{ name: string; logs: string | null }>(
            `SELECT migration_name AS name, logs FROM _prisma_migrations WHERE finished_at IS NULL AND ` +
              `rolled_back_at IS NULL ORDER BY started_at`,
          ),
        )
          .then((r) => r.rows)
          .catch(() => []);
        // The error comes first in the logs, then a backtrace.
        const firstLines = (text: string) =>
          text
            .split('\n')
            .map((l) => l.trim())
            .filter(Boolean)
            .slice(0, 6)
            .join(' ');
        const why = failed.length ? failed.map((f) => `${f.name}: ${firstLines(f.logs ?? '')}`).join('; ') : output;
        throw deployFailure(FailureType.RehearsalFailed, {
          step: 'rehearse',
          what: `${release.name}'s migrations failed on a copy of production: ${why}`,
          remedy: 'fix the migration in a new release; production was not touched',
          retryable: false,
          details: { output, failed },
        });
      }
      const existingData =
        existing &&
        (await withClient(copy, async (c) => {
          heartbeat({ phase: 'compare existing data' });
          const after = await captureColumns(c, existing.before);
          const untouched = await captureColumns(c, existing.before, { unchangedSince: existing.since });
          return existingDataChanges(existing.before, after, untouched);
        }));
      const { migrations, checks } = await withClient(copy, async (c) => {
        const { rows } = await c.query<{ name: string; ms: string }>(
          `SELECT migration_name AS name, (extract(epoch FROM finished_at - started_at) * 1000)::bigint::text AS ms
             FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL ORDER BY started_at`,
        );
        return {
          migrations: rows
            .filter((r) => !previous.migrations.includes(r.name))
            .map((r) => ({ name: r.name, durationMs: Number(r.ms) })),
          checks: await schemaAndDataChecks(c, expectationsOf(t, release.manifest), baseline),
        };
      });
      const failed = checks.filter((c) => !c.ok);
      if (failed.length > 0) {
        throw deployFailure(FailureType.RehearsalFailed, {
          step: 'rehearse',
          what: `on a migrated copy of production, ${failed.map((c) => `${c.name}: ${c.detail}`).join('; ')}`,
          remedy: 'fix the release (its migrations or its expectations); production was not touched',
          retryable: false,
          details: { checks },
        });
      }
      const measured = {
        ...(existingData ? { existingDataChanges: existingData } : {}),
        ...(copied ? { copied: copyOf(copied) } : {}),
      };
      if (!t.rehearsal.startPrevious) return { migrations, checks, ...measured, durationMs: Date.now() - started };
      heartbeat({ phase: 'previous release on the copy' });
      const compat = await tryPrevious(t, previous, copy, deploymentId);
      checks.push(
        await timedCheck(`${previous.name} on the migrated schema`, 'health', async () => [
          compat.compatible,
          compat.detail,
        ]),
      );
      return {
        migrations,
        checks,
        previousReleaseCompatible: compat.compatible,
        compatibility: compat.detail,
        ...measured,
        durationMs: Date.now() - started,
      };
    } finally {
      await withClient(maintenance, (c) =>
        dropOwnDatabase(c, owner, copy.database, 'rehearse', ['rehearsal-copy']),
      ).catch(() => undefined);
      if (work) await rm(work, { recursive: true, force: true });
    }
  }

  return {
    /**
     * Runs the release's own `prisma migrate deploy` on a copy of the backup, checks the schema
     * expectations and the data on it, times each migration, optionally starts the previous release
     * on it — and drops the copy. A failure here stops the deployment before production is touched.
     * It runs online, before writes pause: PostgreSQL away (down, or restarted under it) is waited
     * for, and the rehearsal retried from the start (the copy is made again under its own name).
     */
    async rehearseMigration(input: RehearsalInput): Promise<RehearsalFacts> {
      const { db } = resolveDatabase(deps, input.target, 'rehearse');
      return outageAware(db, 'rehearse', () => rehearseOnCopy(input), { waitMs: outageWaitOf(input.target) });
    },
  };
}
