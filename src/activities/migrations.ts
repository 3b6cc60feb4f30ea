import { durationMs } from '../shared/duration.js';
import type { TargetConfig } from '../config/schema.js';
import { CommandFailed, lastLines } from '../exec/run.js';
import { FailureType } from '../shared/errors.js';
import type { StepName } from '../shared/steps.js';
import { readMigrations } from '../postgres/state.js';
import type { MigrationRow } from '../shared/databaseState.js';
import { attemptSessionName, commandEnvValues, resolveDatabase, type ActivityDeps } from './activityDeps.js';
import { commandFailure } from './commandFailure.js';
import { outageWaitOf, waitForDatabase } from '../postgres/outage.js';
import { endSessionsNamed, withClient } from '../postgres/pgClient.js';
import { prismaCommand, runPrisma } from './prismaCli.js';
import type { MigrationStatus } from '../shared/migrationFacts.js';

/** Reads Prisma's status text; the exit code alone does not distinguish pending from failed. */
export function classifyStatusOutput(output: string, exitCode: number): MigrationStatus {
  // Prisma's header names the database and schema: a database called farm_chat_drift is not drift.
  const text = output
    .split('\n')
    .filter((l) => !/^(Datasource |Prisma schema loaded )/.test(l))
    .join('\n');
  if (/have failed|failed migrations?|P3009/i.test(text)) return 'failed';
  if (/drift|diverge|not found locally|modified after|have been modified/i.test(text)) return 'drift';
  if (/not yet been applied/i.test(text)) return 'pending';
  if (exitCode === 0 && /up to date/i.test(text)) return 'clean';
  return 'unknown';
}

/** The migrations `_prisma_migrations` records as applied: finished, not rolled back. */
export const finishedNames = (rows: MigrationRow[]) =>
  rows.filter((r) => r.finished && !r.rolledBack).map((r) => r.name);
const failedNames = (rows: MigrationRow[]) => rows.filter((r) => !r.finished && !r.rolledBack).map((r) => r.name);

/** One of the app's Prisma commands in the app directory, with the database URL under the app's own variable. */
export async function prismaCmd(
  deps: ActivityDeps,
  t: TargetConfig,
  argv: string[],
  step: StepName,
  timeoutMs?: number,
) {
  const { url, db } = resolveDatabase(deps, t, step);
  const cmd = await prismaCommand(argv, {
    cwd: t.appDir,
    commandEnv: commandEnvValues(deps, t, step),
    timeoutMs,
    database: { envName: t.database.appEnvName, url, password: db.password, writable: db.writable },
  });
  return { cmd, db };
}

/** Runs `prisma migrate status`; it exits 1 for pending or failed migrations, which is an answer, not an error. */
export async function migrateStatus(
  deps: ActivityDeps,
  t: TargetConfig,
  step: StepName,
): Promise<{ status: MigrationStatus; output: string }> {
  const { cmd } = await prismaCmd(deps, t, t.commands.migrateStatus, step, 120_000);
  try {
    const r = await runPrisma(cmd, 'migrate status');
    const output = `${r.stdout}\n${r.stderr}`;
    return { status: classifyStatusOutput(output, 0), output };
  } catch (e) {
    if (!(e instanceof CommandFailed))
      throw commandFailure(e, {
        step,
        type: FailureType.CommandFailed,
        what: 'prisma migrate status did not run',
        remedy: 'check the app install and its Prisma CLI',
        retryable: true,
      });
    const output = `${e.stdout}\n${e.stderr}`;
    return { status: classifyStatusOutput(output, e.exitCode ?? 1), output };
  }
}

export function createMigrationActivities(deps: ActivityDeps) {
  return {
    /**
     * The app's own `prisma migrate deploy`; reports exactly which migrations it applied: those
     * `pending` before the deployment that are finished now. Not "finished since this attempt
     * began": a retry after a lost completion (a worker that died) finds the work already done.
     */
    async migrateDatabase({
      target: t,
      pending,
    }: {
      target: TargetConfig;
      pending?: string[];
    }): Promise<{ applied: string[]; output: string }> {
      const { cmd, db } = await prismaCmd(
        deps,
        t,
        t.commands.migrateDeploy,
        'migrate',
        durationMs(t.commandTimeouts.migrate),
      );
      // Prisma's sessions carry a name of this activity's (node-postgres and libpq read PGAPPNAME;
      // a URL's own application_name wins): when its worker died mid-migration, the retry ends the
      // session the killed prisma left, and with it Prisma's advisory lock (P1002 otherwise).
      // PostgreSQL first (an outage is waited out, not turned into a failed migration); once
      // prisma has started, a failure is the migration's: never run again, the backup comes back.
      await waitForDatabase(db, 'migrate', outageWaitOf(t));
      const session = attemptSessionName('migrate');
      if (session) {
        cmd.env = { ...cmd.env, PGAPPNAME: session };
        await endSessionsNamed(db, session);
      }
      const before = finishedNames(await withClient(db, readMigrations));
      try {
        const r = await runPrisma(cmd, 'migrate deploy');
        const after = finishedNames(await withClient(db, readMigrations));
        return {
          applied: after.filter((m) => (pending ? pending.includes(m) : !before.includes(m))),
          output: lastLines(r.stdout, 30),
        };
      } catch (e) {
        const rows = await withClient(db, readMigrations).catch(() => [] as MigrationRow[]);
        const failed = failedNames(rows);
        const applied = finishedNames(rows).filter((m) => !before.includes(m));
        // A half-applied migration is not fixed by running it again: never retry, roll back.
        throw commandFailure(e, {
          step: 'migrate',
          type: FailureType.MigrationFailed,
          what:
            'prisma migrate deploy failed' +
            (failed.length ? ` in ${failed.join(', ')}` : '') +
            (applied.length ? ` after applying ${applied.join(', ')}` : ''),
          remedy: 'the database is restored from the backup automatically; fix the migration in a new release',
          retryable: false,
        });
      }
    },
  };
}
