import type pg from 'pg';
import { z } from 'zod';
import type { TargetConfig } from '../config/schema.js';
import { lastLines } from '../exec/run.js';
import { resolveDatabase, type ActivityDeps } from './activityDeps.js';
import { parseInput } from './input.js';
import { migrateStatus } from './migrations.js';
import type {
  MigrationStatus,
  MigrationState,
  MigrationEntry,
  PendingMigrationSql,
  MigrationHistory,
} from '../shared/migrationFacts.js';
import { withClient } from '../postgres/pgClient.js';
import { checksumMatches, prismaChecksum } from './prismaChecksum.js';
import { commitSchema, readMigrationScripts, type MigrationScript } from '../release/releaseFiles.js';

/** One row of `_prisma_migrations`; timestamps as ISO strings. */
export interface MigrationRecord {
  name: string;
  checksum: string;
  startedAt: string;
  finishedAt?: string;
  rolledBackAt?: string;
}

export interface MigrationHistoryInput {
  deploymentId: string;
  target: TargetConfig;
  /** The commit being deployed (resolveRelease's `target.commit`). */
  targetCommit: string;
}

/** Activity results live in history (2 MB per payload at most): SQL beyond these is cut and flagged. */
export const MAX_SQL_BYTES = 256 * 1024;
export const MAX_TOTAL_SQL_BYTES = 1024 * 1024;

const inputSchema = z.object({ deploymentId: z.string().min(1).max(200), targetCommit: commitSchema }).loose();

/** Rows of Prisma's table, read in a READ ONLY transaction: inspecting never writes. */
export async function readMigrationRecords(client: pg.ClientBase): Promise<MigrationRecord[]> {
  await client.query('BEGIN READ ONLY');
  try {
    const { rows: exists } = await client.query<{ t: string | null }>(
      `SELECT to_regclass('_prisma_migrations')::text AS t`,
    );
    if (!exists[0]?.t) return [];
    const { rows } = await client.query<{
      name: string;
      checksum: string;
      started_at: Date;
      finished_at: Date | null;
      rolled_back_at: Date | null;
    }>(
      `SELECT migration_name AS name, checksum, started_at, finished_at, rolled_back_at
         FROM _prisma_migrations ORDER BY started_at, migration_name`,
    );
    return rows.map((r) => ({
      name: r.name,
      checksum: r.checksum,
      startedAt: r.started_at.toISOString(),
      finishedAt: r.finished_at?.toISOString(),
      rolledBackAt: r.rolled_back_at?.toISOString(),
    }));
  } finally {
    await client.query('COMMIT');
  }
}

const isFinished = (r: MigrationRecord) => r.finishedAt !== undefined && r.rolledBackAt === undefined;
const isFailed = (r: MigrationRecord) => r.finishedAt === undefined && r.rolledBackAt === undefined;

/**
 * Classifies each migration by name. A name can have several rows (rolled back, then applied
 * again): a failed row wins (Prisma refuses to deploy past it, P3009), then a finished one, and
 * a name whose rows are all rolled back is `rolled-back` (deploy will run it again).
 */
export function classifyMigrations(
  records: readonly MigrationRecord[],
  local: readonly MigrationScript[],
): MigrationEntry[] {
  const scripts = new Map(local.map((s) => [s.name, s.bytes]));
  const names = [...new Set([...records.map((r) => r.name), ...scripts.keys()])].sort();
  return names.map((name): MigrationEntry => {
    const rows = records.filter((r) => r.name === name);
    const script = scripts.get(name);
    const localChecksum = script ? prismaChecksum(script) : undefined;
    const row = rows.findLast(isFailed) ?? rows.findLast(isFinished) ?? rows.at(-1);
    if (!row) return { name, state: 'pending', localChecksum };
    let state: MigrationState;
    if (isFailed(row)) state = 'failed';
    else if (!isFinished(row)) state = 'rolled-back';
    else if (!script) state = 'missing-locally';
    else state = checksumMatches(script, row.checksum) ? 'applied' : 'edited';
    const { checksum: dbChecksum, startedAt, finishedAt, rolledBackAt } = row;
    return { name, state, dbChecksum, localChecksum, startedAt, finishedAt, rolledBackAt };
  });
}

/** The cross-check of "report both": the table and `prisma migrate status` must agree on failures. */
export function disagreements(entries: readonly MigrationEntry[], prismaStatus: MigrationStatus): string[] {
  const failed = entries.filter((e) => e.state === 'failed').map((e) => e.name);
  const notes: string[] = [];
  if (failed.length > 0 && prismaStatus !== 'failed')
    notes.push(
      `_prisma_migrations records failed migration(s) ${failed.join(', ')}, but prisma migrate status says ` +
        `${prismaStatus}`,
    );
  if (failed.length === 0 && prismaStatus === 'failed')
    notes.push('prisma migrate status reports a failed migration that _prisma_migrations does not show');
  return notes;
}

export function pendingSqlOf(
  entries: readonly MigrationEntry[],
  local: readonly MigrationScript[],
): PendingMigrationSql[] {
  const toRun = new Set(entries.filter((e) => e.state === 'pending' || e.state === 'rolled-back').map((e) => e.name));
  let budget = MAX_TOTAL_SQL_BYTES;
  return local
    .filter((s) => toRun.has(s.name))
    .map((s) => {
      const kept = Math.min(s.bytes.length, MAX_SQL_BYTES, budget);
      budget -= kept;
      return { name: s.name, sql: s.bytes.subarray(0, kept).toString('utf8'), truncated: kept < s.bytes.length };
    });
}

/** A settled promise's value, or its failure thrown. */
function settledValue<T>(r: PromiseSettledResult<T>): T {
  if (r.status === 'rejected') throw r.reason;
  return r.value;
}

export function createMigrationHistoryActivities(deps: ActivityDeps) {
  return {
    /**
     * Migration status from the source of truth: `_prisma_migrations` (read only) against the
     * target release's migration folders (read with git at the target commit), each migration
     * classified, checked by checksum, and cross-checked with the app's own `prisma migrate
     * status`. Changes nothing.
     */
    async inspectMigrationHistory(input: MigrationHistoryInput): Promise<MigrationHistory> {
      const { deploymentId, targetCommit } = parseInput(
        inputSchema,
        input,
        'inspect-migrations',
        'inspectMigrationHistory',
      );
      const t = input.target;
      const { db } = resolveDatabase(deps, t, 'inspect-migrations');
      // Three independent readings at once: the Prisma CLI's start (about a second) hides the others.
      // All settle before a failure is thrown, the first in this order, as when they ran one by one.
      const [scripts, rows, status] = await Promise.allSettled([
        readMigrationScripts(t, targetCommit, { deploymentId, step: 'inspect-migrations' }),
        withClient(db, readMigrationRecords),
        migrateStatus(deps, t, 'inspect-migrations'),
      ]);
      const local = settledValue(scripts);
      const records = settledValue(rows);
      const prisma = settledValue(status);
      const migrations = classifyMigrations(records, local);

      const applied = [...new Set(records.filter(isFinished).map((r) => r.name))];
      const failed = [...new Set(records.filter(isFailed).map((r) => r.name))];
      const localNames = local.map((s) => s.name);
      return {
        status: failed.length > 0 ? 'failed' : prisma.status,
        statusOutput: lastLines(prisma.output, 30),
        applied,
        failed,
        pendingForTarget: localNames.filter((m) => !applied.includes(m)),
        unknownToTarget: applied.filter((m) => !localNames.includes(m)),
        targetCommit,
        prismaStatus: prisma.status,
        migrations,
        pendingSql: pendingSqlOf(migrations, local),
        disagreements: disagreements(migrations, prisma.status),
      };
    },
  };
}
