import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import type pg from 'pg';
import { z } from 'zod';
import { pgDumpSchema, withDatabase, type DbTarget } from '../commands/pg.js';
import type { TargetConfig } from '../config/schema.js';
import { FailureType } from '../shared/errors.js';
import { normaliseSchemaDump, quoteIdent, sha256 } from '../postgres/state.js';
import { heartbeat, resolveDatabase, runInActivity, type ActivityDeps } from './activityDeps.js';
import { commandFailure } from './commandFailure.js';
import { parseInput } from './input.js';
import { readMigrationRecords, type MigrationRecord } from './migrationHistory.js';
import { createOwnDatabase, dropOwnDatabase, ownDatabaseName, ownerOf } from '../postgres/ownDatabases.js';
import { codePaths } from './layout.js';
import { pgTool, withClient } from '../postgres/pgClient.js';
import { privateTempDir } from '../release/privateFiles.js';
import { commitSchema, readMigrationScripts } from '../release/releaseFiles.js';
import { describeSchema, PRISMA_TABLE, type SchemaDescription } from '../postgres/schemaCatalog.js';
import { compareSchemas } from '../postgres/schemaDiff.js';
import type { DriftReport } from '../shared/migrationFacts.js';

export interface DriftInput {
  deploymentId: string;
  target: TargetConfig;
  /** The commit the working copy is at (resolveRelease's `current.commit`): its migrations built production. */
  currentCommit: string;
}

const inputSchema = z.object({ deploymentId: z.string().min(1).max(200), currentCommit: commitSchema }).loose();

/** Prisma's `?schema=` (default public): where its migrations create objects. */
export const prismaSchemaOf = (url: string) => {
  try {
    return new URL(url).searchParams.get('schema') || 'public';
  } catch {
    return 'public';
  }
};

/** The migrations production applied and kept (finished, not rolled back), in the order it applied them. */
function appliedInOrder(records: readonly MigrationRecord[]): string[] {
  const finished = records.filter((r) => r.finishedAt !== undefined && r.rolledBackAt === undefined);
  finished.sort((a, b) => a.finishedAt!.localeCompare(b.finishedAt!) || a.name.localeCompare(b.name));
  return [...new Set(finished.map((r) => r.name))];
}

function cancellationSignal(): AbortSignal | undefined {
  try {
    return Context.current().cancellationSignal;
  } catch {
    return undefined; // outside an activity
  }
}

/** Runs `work`, heartbeating meanwhile, and gives up as soon as the activity is cancelled. */
async function whileHeartbeating<T>(details: Record<string, unknown>, work: Promise<T>): Promise<T> {
  const timer = setInterval(() => heartbeat(details), 5_000);
  const signal = cancellationSignal();
  work.catch(() => undefined); // still settles (rejected) after a cancellation: never unhandled
  try {
    if (!signal) return await work;
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        if (signal.aborted) reject(signal.reason);
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      }),
    ]);
  } finally {
    clearInterval(timer);
  }
}

async function readOnly<T>(client: pg.ClientBase, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN READ ONLY');
  try {
    return await fn();
  } finally {
    await client.query('COMMIT');
  }
}

export function createDriftActivities(deps: ActivityDeps) {
  return {
    /**
     * Schema drift: the migrations production applied (read from the current release with git)
     * are replayed, each migration.sql as one multi-statement query as Prisma does, into a
     * scratch database; both schemas are then described from the catalogs and compared object by
     * object, and their normalised `pg_dump --schema-only` hashed. Production is only read; the
     * scratch database is dropped afterwards, also on failure.
     */
    async detectSchemaDrift(input: DriftInput): Promise<DriftReport> {
      const started = Date.now();
      const { deploymentId, currentCommit } = parseInput(inputSchema, input, 'inspect-migrations', 'detectSchemaDrift');
      const t = input.target;
      const { url, db } = resolveDatabase(deps, t, 'inspect-migrations');
      const maintenance = withDatabase(db, t.database.maintenanceDatabase);
      const owner = ownerOf(t, db);
      const scratchDatabase = ownDatabaseName(db.database, deploymentId, 'drift-scratch');
      const scratch = withDatabase(db, scratchDatabase);
      const prismaSchema = prismaSchemaOf(url);
      const warnings: string[] = [];

      const records = await withClient(db, readMigrationRecords);
      const scripts = new Map(
        (await readMigrationScripts(t, currentCommit, { deploymentId, step: 'inspect-migrations' })).map((s) => [
          s.name,
          s.bytes,
        ]),
      );
      for (const r of records.filter((x) => x.finishedAt === undefined && x.rolledBackAt === undefined)) {
        warnings.push(`${r.name} failed half-way: whatever it applied shows up as differences`);
      }
      const applied = appliedInOrder(records);
      const missing = applied.filter((name) => !scripts.has(name));
      for (const name of missing)
        warnings.push(
          `${name} is applied but not in the current release: not replayed, so its objects show up as differences`,
        );

      const replayed: string[] = [];
      let complete = missing.length === 0;
      heartbeat({ phase: 'create scratch database', scratchDatabase });
      await withClient(maintenance, (c) =>
        createOwnDatabase(c, owner, { deploymentId, kind: 'drift-scratch', step: 'inspect-migrations' }),
      );
      try {
        const expected = await withClient(scratch, async (c) => {
          if (prismaSchema !== 'public') {
            await c.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(prismaSchema)}`);
            await c.query(`SET search_path TO ${quoteIdent(prismaSchema)}`);
          }
          for (const name of applied.filter((n) => scripts.has(n))) {
            try {
              await whileHeartbeating(
                { phase: 'replay', migration: name },
                c.query(scripts.get(name)!.toString('utf8')),
              );
              replayed.push(name);
            } catch (e) {
              if (cancellationSignal()?.aborted) throw e;
              warnings.push(
                `${name} does not replay on an empty database (${(e as Error).message}): compared with the ` +
                  `schema before it`,
              );
              complete = false;
              break;
            }
          }
          heartbeat({ phase: 'describe scratch' });
          return describeSchema(c);
        });
        heartbeat({ phase: 'describe production' });
        const actual: SchemaDescription = await withClient(db, (c) => readOnly(c, () => describeSchema(c)));
        const { differences, warnings: orderWarnings } = compareSchemas(expected, actual);
        warnings.push(...orderWarnings);

        const dumpHash = async (target: DbTarget) => {
          const file = join(dumps, `${target === db ? 'production' : 'replayed'}.sql`);
          try {
            await runInActivity(
              pgDumpSchema(pgTool(t.pgBinDir, 'pg_dump'), target, undefined, {
                excludeTables: [`*.${PRISMA_TABLE}`],
                file,
              }),
              'dump schema',
            );
            return sha256(normaliseSchemaDump(await readFile(file, 'utf8')));
          } catch (e) {
            throw commandFailure(e, {
              step: 'inspect-migrations',
              type: FailureType.CommandFailed,
              what: `pg_dump --schema-only of ${target.database} failed`,
              remedy: 'check pg_dump and the database connection',
              retryable: true,
            });
          } finally {
            await rm(file, { force: true });
          }
        };
        // Both dumps go to a private folder of this run (never a predictable path in /tmp).
        const dumps = await privateTempDir(codePaths(t).workDir, `drift-${sha256(deploymentId).slice(0, 8)}-`, {
          field: 'workDir',
          step: 'inspect-migrations',
        });
        const schemaDumpSha256 = await (async () => {
          try {
            return { expected: await dumpHash(scratch), actual: await dumpHash(db) };
          } finally {
            await rm(dumps, { recursive: true, force: true });
          }
        })();
        if (
          schemaDumpSha256.expected !== schemaDumpSha256.actual &&
          differences.length === 0 &&
          orderWarnings.length === 0
        ) {
          warnings.push(
            'the schema dumps differ in something not compared object by object (e.g. comments, rules, ' +
              'policies): compare pg_dump --schema-only by hand',
          );
        }
        return {
          drift: differences.length > 0,
          complete,
          differences,
          warnings,
          replayed,
          schemaDumpSha256,
          scratchDatabase,
          durationMs: Date.now() - started,
        };
      } finally {
        await withClient(maintenance, (c) =>
          dropOwnDatabase(c, owner, scratchDatabase, 'inspect-migrations', ['drift-scratch']),
        );
      }
    },
  };
}
