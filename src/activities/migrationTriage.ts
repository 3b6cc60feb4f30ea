import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { durationMs } from '../shared/duration.js';
import type pg from 'pg';
import { z } from 'zod';
import { gitCommitsTouching } from '../commands/git.js';
import type { TargetConfig } from '../config/schema.js';
import { lastLines } from '../exec/run.js';
import { proposeResolution, statementEvidence, type StatementFacts } from '../plan/migrationTriage.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import type { MigrationTriage, Resolution } from '../shared/inventoryAndTriage.js';
import type { StepName } from '../shared/steps.js';
import { readCatalogFacts } from '../postgres/catalogFacts.js';
import { prismaSchemaOf } from './drift.js';
import { commandEnvValues, heartbeat, resolveDatabase, runInActivity, type ActivityDeps } from './activityDeps.js';
import { commandFailure } from './commandFailure.js';
import { parseInput } from './input.js';
import { codePaths } from './layout.js';
import { withClient } from '../postgres/pgClient.js';
import { checksumMatches, prismaChecksum } from './prismaChecksum.js';
import { prismaCommand, runPrisma } from './prismaCli.js';
import { commitSchema, readMigrationScripts, withReleaseFiles } from '../release/releaseFiles.js';
import { statementEffects, type Expectation } from '../postgres/statementEffects.js';

/** Prisma Migrate's advisory lock key (schema-engine, PostgreSQL): `resolve` takes it as the CLI does. */
const PRISMA_LOCK_KEY = 72707369;
/** How far back in every ref's history the SQL of a failed attempt is looked for. */
const SEARCHED_COMMITS = 30;
const LOG_CHARS = 1000;

/** A Prisma migration folder name: it goes into an argv and a path, so nothing else. */
const migrationName = z
  .string()
  .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/, 'a Prisma migration folder name')
  .refine((n) => !n.includes('..'), 'a Prisma migration folder name');
const triageSchema = z
  .object({ deploymentId: z.string().min(1).max(200), migration: migrationName, targetCommit: commitSchema })
  .loose();
const resolveSchema = triageSchema.extend({
  action: z.enum(['resolve-applied', 'resolve-rolled-back']),
  dir: z.string().startsWith('/').optional(),
});

interface Row {
  id: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  logs: string | null;
}
const isFailed = (r: Row) => r.finished_at === null && r.rolled_back_at === null;

async function rowsOf(client: pg.ClientBase, name: string): Promise<Row[]> {
  const { rows } = await client.query<Row>(
    'SELECT id, checksum, finished_at, rolled_back_at, logs FROM _prisma_migrations WHERE migration_name = ' +
      '$1 ORDER BY started_at',
    [name],
  );
  return rows;
}

/** Resolved as asked: no failed row left, and (applied) a finished row with the target's checksum. */
function resolvedAs(rows: readonly Row[], action: Resolution, checksum: string): boolean {
  if (rows.length === 0 || rows.some(isFailed)) return false;
  return (
    action === 'resolve-rolled-back' ||
    rows.some((r) => r.finished_at !== null && r.rolled_back_at === null && r.checksum === checksum)
  );
}

/** The migration.sql whose checksum `_prisma_migrations` recorded: at the target, else in any ref's history. */
async function findFailedScript(
  t: TargetConfig,
  name: string,
  checksum: string,
  targetCommit: string,
  o: { deploymentId: string; step: StepName },
) {
  const path = `${t.migrationsDir}/${name}/migration.sql`;
  const history = (
    await runInActivity(gitCommitsTouching(codePaths(t).gitDir, path, SEARCHED_COMMITS), 'history')
  ).stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  for (const commit of [...new Set([targetCommit, ...history])]) {
    heartbeat({ phase: 'find the failed SQL', commit });
    const bytes = await withReleaseFiles(t, commit, [path], o, async (tree) =>
      existsSync(join(tree, path)) ? readFile(join(tree, path)) : undefined,
    );
    if (bytes && checksumMatches(bytes, checksum)) return { commit, bytes, path };
  }
  return { path };
}

/** Each statement of the script with what the catalogs say about its effects now. */
async function readStatements(client: pg.ClientBase, schema: string, sql: string): Promise<StatementFacts[] | string> {
  // The parser (WebAssembly, tens of MB once used) only when a failed migration is triaged.
  const { parseMigration } = await import('../lint/parse.js');
  const parsed = parseMigration(sql);
  if (!parsed.ok) return `it does not parse (line ${parsed.error.line}: ${parsed.error.message})`;
  const out: StatementFacts[] = [];
  for (const [i, s] of parsed.statements.entries()) {
    const base = { index: i + 1, line: s.line, sql: s.text, kind: Object.keys(s.node)[0] ?? '?' };
    const effects = statementEffects(s.node);
    if ('noEffect' in effects) out.push({ ...base, noEffect: true });
    else if ('unknown' in effects) out.push({ ...base, unknown: effects.unknown });
    else
      out.push({
        ...base,
        facts: await readCatalogFacts(client, schema, effects.expect as Expectation[]),
        ...(effects.undo ? { undo: effects.undo } : {}),
      });
  }
  return out;
}

/**
 * What `prisma migrate resolve` writes, as Prisma's schema engine does (commands
 * mark_migration_rolled_back.rs / mark_migration_applied.rs), in one transaction under Prisma's
 * advisory lock: rolled back sets `rolled_back_at` on the failed rows; applied does that too, then
 * inserts a finished row with the script's checksum. Returns whether it changed anything.
 */
async function resolveWithSql(
  client: pg.ClientBase,
  name: string,
  action: Resolution,
  checksum: string,
): Promise<boolean> {
  const refuse = (what: string) =>
    deployFailure(FailureType.MigrationResolveFailed, {
      step: 'resolve-migration',
      what,
      remedy: 'read _prisma_migrations and resolve it by hand; nothing was changed',
      retryable: false,
    });
  await client.query('BEGIN');
  try {
    const { rows: lock } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [
      PRISMA_LOCK_KEY,
    ]);
    if (!lock[0]!.ok)
      throw deployFailure(FailureType.MigrationResolveFailed, {
        step: 'resolve-migration',
        what: `another session holds Prisma Migrate's advisory lock (${PRISMA_LOCK_KEY})`,
        remedy: 'wait for the other migration to end',
        retryable: true,
      });
    const rows = await rowsOf(client, name);
    if (resolvedAs(rows, action, checksum)) {
      await client.query('COMMIT');
      return false; // an earlier attempt did it
    }
    const failed = rows.filter(isFailed).map((r) => r.id);
    if (rows.length === 0) throw refuse(`${name} has no row in _prisma_migrations (P3011)`);
    if (action === 'resolve-rolled-back' && failed.length === 0)
      throw refuse(`${name} has no failed row to mark rolled back (P3012)`);
    if (action === 'resolve-applied' && rows.some((r) => r.finished_at !== null))
      throw refuse(`${name} is already recorded as applied (P3008)`);
    if (failed.length > 0)
      await client.query('UPDATE _prisma_migrations SET rolled_back_at = now() WHERE id = ANY($1::varchar[])', [
        failed,
      ]);
    if (action === 'resolve-applied') {
      await client.query(
        `INSERT INTO _prisma_migrations (id, checksum, logs, started_at, finished_at, migration_name, ` +
          `applied_steps_count) VALUES ($1, $2, '', now(), now(), $3, 0)`,
        [randomUUID(), checksum, name],
      );
    }
    await client.query('COMMIT');
    return true;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

export interface ResolveFacts {
  migration: string;
  action: Resolution;
  via: 'cli' | 'sql';
  /** False when an earlier attempt had already resolved it. */
  changed: boolean;
  output?: string;
}

export function createMigrationTriageActivities(deps: ActivityDeps) {
  return {
    /**
     * A failed migration, statement by statement: the SQL of the failed attempt (the migration.sql
     * whose checksum `_prisma_migrations` recorded, found at the target or in any ref's history),
     * parsed with PostgreSQL's parser; each statement's objects looked up in the catalogs (read
     * only); and the resolution this evidence supports. Changes nothing.
     */
    async triageFailedMigration(input: {
      deploymentId: string;
      target: TargetConfig;
      migration: string;
      targetCommit: string;
    }): Promise<MigrationTriage> {
      const { deploymentId, migration, targetCommit } = parseInput(
        triageSchema,
        input,
        'triage-migration',
        'triageFailedMigration',
      );
      const t = input.target;
      const { url, db } = resolveDatabase(deps, t, 'triage-migration');
      const file = `${t.migrationsDir}/${migration}/migration.sql`;
      const failed = (await withClient(db, (c) => rowsOf(c, migration))).filter(isFailed).at(-1);
      if (!failed)
        return {
          migration,
          file,
          checksum: '',
          sameInTarget: false,
          statements: [],
          grounds: `${migration} has no failed row in _prisma_migrations any more`,
        };
      const logs = failed.logs ? lastLines(failed.logs, 20).slice(0, LOG_CHARS) : undefined;
      const o = { deploymentId, step: 'triage-migration' as const };
      const target = (await readMigrationScripts(t, targetCommit, o)).find((s) => s.name === migration);
      const sameInTarget = target !== undefined && checksumMatches(target.bytes, failed.checksum);
      const source = await findFailedScript(t, migration, failed.checksum, targetCommit, o);
      const base = { migration, file, checksum: failed.checksum, sameInTarget, ...(logs ? { logs } : {}) };
      if (!source.bytes)
        return {
          ...base,
          statements: [],
          grounds:
            `no commit of any ref (the last ${SEARCHED_COMMITS} that changed ${file}) holds the migration.sql ` +
            `of the failed attempt (sha256 ${failed.checksum})`,
        };
      const read = await withClient(db, (c) => readStatements(c, prismaSchemaOf(url), source.bytes.toString('utf8')));
      if (typeof read === 'string')
        return { ...base, sourceCommit: source.commit, statements: [], grounds: `the failed migration.sql ${read}` };
      const statements = statementEvidence(read);
      return { ...base, sourceCommit: source.commit, statements, ...proposeResolution(statements, sameInTarget) };
    },

    /**
     * Resolves a failed migration as a person approved: the app's own `prisma migrate resolve
     * --rolled-back|--applied <name>` (`commands.migrateResolve`, in `dir`, which must hold the
     * target's migration for --applied), or, with `'sql'`, the same rows written directly. Checks
     * afterwards that `_prisma_migrations` shows it resolved; a retry finds it done and says so.
     */
    async resolveFailedMigration(input: {
      deploymentId: string;
      target: TargetConfig;
      migration: string;
      action: Resolution;
      targetCommit: string;
      dir?: string;
    }): Promise<ResolveFacts> {
      const { deploymentId, migration, action, targetCommit, dir } = parseInput(
        resolveSchema,
        input,
        'resolve-migration',
        'resolveFailedMigration',
      );
      const t = input.target;
      const { url, db } = resolveDatabase(deps, t, 'resolve-migration');
      const script = (await readMigrationScripts(t, targetCommit, { deploymentId, step: 'resolve-migration' })).find(
        (s) => s.name === migration,
      );
      if (action === 'resolve-applied' && !script) {
        throw deployFailure(FailureType.MigrationResolveFailed, {
          step: 'resolve-migration',
          what: `the target release has no ${migration}: it cannot be marked applied`,
          remedy: 'deploy a release that contains it; nothing was changed',
          retryable: false,
        });
      }
      const checksum = script ? prismaChecksum(script.bytes) : '';
      if (t.commands.migrateResolve === 'sql') {
        const changed = await withClient(db, (c) => resolveWithSql(c, migration, action, checksum));
        return { migration, action, via: 'sql', changed };
      }
      if (resolvedAs(await withClient(db, (c) => rowsOf(c, migration)), action, checksum))
        return { migration, action, via: 'cli', changed: false };
      const cwd = dir ?? t.appDir;
      const local = join(cwd, t.migrationsDir, migration, 'migration.sql');
      if (action === 'resolve-applied' && !(existsSync(local) && checksumMatches(await readFile(local), checksum))) {
        throw deployFailure(FailureType.MigrationResolveFailed, {
          step: 'resolve-migration',
          what: `${local} is not the target's ${migration}, which prisma migrate resolve --applied records`,
          remedy:
            'stage the target release (rehearsal or the releases layout), or set commands.migrateResolve to ' +
            "'sql'; nothing was changed",
          retryable: false,
        });
      }
      const cmd = await prismaCommand(
        [...t.commands.migrateResolve, action === 'resolve-applied' ? '--applied' : '--rolled-back', migration],
        {
          cwd,
          commandEnv: commandEnvValues(deps, t, 'resolve-migration'),
          timeoutMs: durationMs(t.commandTimeouts.migrate),
          database: { envName: t.database.appEnvName, url, password: db.password, writable: db.writable },
        },
      );
      let output: string;
      try {
        output = lastLines((await runPrisma(cmd, 'migrate resolve')).stdout, 10);
      } catch (e) {
        throw commandFailure(e, {
          step: 'resolve-migration',
          type: FailureType.MigrationResolveFailed,
          retryable: false,
          what:
            `prisma migrate resolve ${action === 'resolve-applied' ? '--applied' : '--rolled-back'} ` +
            `${migration} failed`,
          remedy:
            "if the app's Prisma CLI cannot run it here (Prisma 6 over a driver adapter needs the native " +
            "schema engine for --rolled-back), set commands.migrateResolve to 'sql', which writes the same " +
            'rows',
        });
      }
      if (!resolvedAs(await withClient(db, (c) => rowsOf(c, migration)), action, checksum)) {
        throw deployFailure(FailureType.MigrationResolveFailed, {
          step: 'resolve-migration',
          what:
            `prisma migrate resolve ran, yet _prisma_migrations does not show ${migration} ` +
            `${action === 'resolve-applied' ? 'applied' : 'rolled back'}`,
          remedy: 'read _prisma_migrations and resolve it by hand',
          retryable: false,
        });
      }
      return { migration, action, via: 'cli', changed: true, output };
    },
  };
}
