import { durationMs } from '../shared/duration.js';
import type pg from 'pg';
import { z } from 'zod';
import type { TargetConfig } from '../config/schema.js';
import { lastLines } from '../exec/run.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import type { DataInventory, TableRows } from '../shared/inventoryAndTriage.js';
import { quoteIdent, readMigrations } from '../postgres/state.js';
import { commandEnvValues, heartbeat, resolveDatabase, type ActivityDeps } from './activityDeps.js';
import { commandFailure } from './commandFailure.js';
import { parseInput } from './input.js';
import { withClient } from '../postgres/pgClient.js';
import { prismaCommand, runPrisma } from './prismaCli.js';

/** Exact counts stop here at least (or at the threshold when higher): counting never scans a big table. */
export const COUNTED_UP_TO = 1000;
const LISTED = 50;

/**
 * Every table's rows, read only: each counted exactly up to `cap` (`SELECT count(*) FROM (SELECT 1
 * … LIMIT cap + 1)`), the biggest listed first with the planner's estimate and size; tables named
 * users (or user) counted exactly. Prisma's own `_prisma_migrations` is left out: a reset rewrites it.
 */
export async function readInventory(client: pg.ClientBase, maxRows: number): Promise<DataInventory> {
  const cap = Math.max(maxRows, COUNTED_UP_TO);
  await client.query('BEGIN READ ONLY');
  try {
    const { rows: tables } = await client.query<{ schema: string; name: string; estimate: string; bytes: string }>(
      `SELECT n.nspname AS schema, c.relname AS name, c.reltuples::bigint AS estimate, ` +
        `pg_total_relation_size(c.oid) AS bytes
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND ` +
        `n.nspname NOT LIKE 'pg\\_%'
          AND c.relname <> '_prisma_migrations'
        ORDER BY pg_total_relation_size(c.oid) DESC, 1, 2`,
    );
    const counted: TableRows[] = [];
    const users: DataInventory['users'] = [];
    for (const t of tables) {
      const from = `${quoteIdent(t.schema)}.${quoteIdent(t.name)}`;
      heartbeat({ phase: 'count rows', table: `${t.schema}.${t.name}` });
      const { rows } = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM (SELECT 1 FROM ${from} LIMIT $1) s`,
        [cap + 1],
      );
      const n = Number(rows[0]!.n);
      counted.push({
        name: `${t.schema}.${t.name}`,
        rows: Math.min(n, cap),
        more: n > cap,
        estimatedRows: Number(t.estimate),
        bytes: Number(t.bytes),
      });
      if (['users', 'user'].includes(t.name.toLowerCase())) {
        const exact =
          n > cap ? Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${from}`)).rows[0]!.n) : n;
        users.push({ table: `${t.schema}.${t.name}`, rows: exact });
      }
    }
    const over = counted.filter((t) => t.more || t.rows > maxRows).map((t) => t.name);
    return {
      maxRows,
      countedUpTo: cap,
      tables: counted.slice(0, LISTED),
      tableCount: counted.length,
      totalBytes: counted.reduce((sum, t) => sum + t.bytes, 0),
      users,
      overThreshold: over.slice(0, LISTED),
      withinThreshold: maxRows > 0 && over.length === 0,
    };
  } finally {
    await client.query('COMMIT');
  }
}

const resetSchema = z
  .object({
    maxRows: z.number().int().min(1),
    /** Who approved `--action reset`: the activity refuses to run without one. */
    approvedBy: z.string().trim().min(1).max(200),
  })
  .loose();

export function createDriftResetActivities(deps: ActivityDeps) {
  return {
    /** The runbook's Option B, first half: what a reset would throw away. Changes nothing. */
    async inspectData({ target: t }: { target: TargetConfig }): Promise<DataInventory> {
      const { db } = resolveDatabase(deps, t, 'inspect-data');
      return withClient(db, (c) => readInventory(c, t.drift.resetMaxRows));
    },

    /**
     * The runbook's Option B, second half, only after an `approve --action reset` and the backup:
     * counts again (writes may have come in since the approval; more than `maxRows` in a table and
     * nothing is reset), then the app's own `prisma migrate reset` in the app directory, which
     * now holds the target release: every table is dropped and the target's migrations applied.
     */
    async resetDatabase(input: {
      target: TargetConfig;
      maxRows: number;
      approvedBy: string;
    }): Promise<{ applied: string[]; output: string; rowsBefore: number }> {
      const { maxRows } = parseInput(resetSchema, input, 'migrate', 'resetDatabase');
      const t = input.target;
      const { url, db } = resolveDatabase(deps, t, 'migrate');
      const now = await withClient(db, (c) => readInventory(c, maxRows));
      if (!now.withinThreshold) {
        throw deployFailure(FailureType.ResetRefused, {
          step: 'migrate',
          retryable: false,
          what:
            `the database now holds more than ${maxRows} rows in ${now.overThreshold.join(', ')}: nothing was ` +
            `reset`,
          remedy: 'the deployment is rolled back; a DBA reconciles the schema with the migrations',
        });
      }
      const cmd = await prismaCommand(t.commands.migrateReset, {
        cwd: t.appDir,
        commandEnv: commandEnvValues(deps, t, 'migrate'),
        timeoutMs: durationMs(t.commandTimeouts.migrate),
        database: { envName: t.database.appEnvName, url, password: db.password, writable: db.writable },
      });
      try {
        const r = await runPrisma(cmd, 'migrate reset');
        const rows = await withClient(db, readMigrations);
        return {
          applied: rows.filter((m) => m.finished && !m.rolledBack).map((m) => m.name),
          output: lastLines(r.stdout, 30),
          rowsBefore: now.tables.reduce((sum, x) => sum + x.rows, 0),
        };
      } catch (e) {
        throw commandFailure(e, {
          step: 'migrate',
          type: FailureType.MigrationFailed,
          retryable: false,
          what: 'prisma migrate reset failed',
          remedy: 'the database is restored from the backup automatically; fix the migrations in a new release',
        });
      }
    },
  };
}
