import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';
import { pgDump, pgDumpSchema, pgRestore, pgRestoreList, withDatabase, type DbTarget } from '../commands/pg.js';
import type { TargetConfig } from '../config/schema.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import { captureState, diffStates, quoteIdent, sha256, type DatabaseState } from './dbState.js';
import { heartbeat, resolveDatabase, runInActivity, type ActivityDeps } from './deps.js';
import { commandFailure } from './failures.js';
import { fingerprintPath } from './files.js';
import { pgTool, withClient } from './pgClient.js';

export interface BackupInput {
  deploymentId: string;
  target: TargetConfig;
}

export interface BackupFacts {
  path: string;
  format: 'custom' | 'directory';
  sizeBytes: number;
  sha256: string;
  /** Entries listed by `pg_restore --list`: the archive reads end to end. */
  archiveEntries: number;
  state: DatabaseState;
  durationMs: number;
}

export interface RestoreInput {
  deploymentId: string;
  target: TargetConfig;
  backup: BackupFacts;
}

export interface RestoreFacts {
  /**
   * Whether production is (now) this deployment's restore of the backup: false when the database
   * already matched the backup and was never swapped (nothing had changed it).
   */
  restored: boolean;
  /** Whether this run swapped production; false when an earlier run (or attempt) already had. */
  changed: boolean;
  /** The failed deployment's database, kept aside for inspection. */
  keptAs?: string;
  verified: true;
  tables: number;
  durationMs: number;
}

/** Scratch and kept-aside names derive from the deployment id, so a retry finds its own work. */
export function restoreNames(database: string, deploymentId: string) {
  const tag = sha256(deploymentId).slice(0, 8);
  const base = database.slice(0, 40);
  return { scratch: `${base}_sd_${tag}_restore`, keptAs: `${base}_sd_${tag}_failed` };
}

export function backupPath(t: TargetConfig, deploymentId: string): string {
  return join(t.backup.dir, `${t.app}-${t.environment}-${deploymentId}${t.backup.format === 'custom' ? '.dump' : '.dir'}`);
}

async function databaseExists(client: pg.ClientBase, name: string): Promise<boolean> {
  return (await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
}

export function createDatabaseActivities(deps: ActivityDeps) {
  /** Schema text + full fingerprint of one database, optionally inside an exported snapshot. */
  async function stateOf(t: TargetConfig, db: DbTarget, client: pg.ClientBase, snapshot?: string): Promise<DatabaseState> {
    const schema = await runInActivity(pgDumpSchema(pgTool(t.pgBinDir, 'pg_dump'), db, snapshot), 'dump schema');
    return captureState(client, schema.stdout, (done, total) => heartbeat({ phase: 'fingerprint', done, total }));
  }

  return {
    /**
     * pg_dump of the production database, then verified: the archive lists, its size and sha256
     * are recorded, and a fingerprint (schema, rows and checksum per table, migrations) is taken
     * from the very snapshot the dump read, so a restore can be proven equal to it.
     */
    async backupDatabase({ deploymentId, target: t }: BackupInput): Promise<BackupFacts> {
      const started = Date.now();
      const { db } = resolveDatabase(deps, t, 'backup');
      const path = backupPath(t, deploymentId);
      await mkdir(t.backup.dir, { recursive: true });
      await rm(path, { recursive: true, force: true }); // a retry starts over: a dump is not resumable
      const state = await withClient(db, async (client) => {
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const { rows } = await client.query<{ snapshot: string }>('SELECT pg_export_snapshot() AS snapshot');
        const snapshot = rows[0]!.snapshot;
        try {
          await runInActivity(pgDump(pgTool(t.pgBinDir, 'pg_dump'), db, { file: path, format: t.backup.format, jobs: t.backup.jobs, snapshot }), 'dump');
        } catch (e) {
          throw commandFailure(e, { step: 'backup', type: FailureType.BackupUnverified, what: 'pg_dump failed', remedy: 'check the database connection, permissions and free space, then start again', retryable: true });
        }
        const s = await stateOf(t, db, client, snapshot);
        await client.query('COMMIT');
        return s;
      });
      let listing;
      try {
        listing = await runInActivity(pgRestoreList(pgTool(t.pgBinDir, 'pg_restore'), path), 'verify');
      } catch (e) {
        throw commandFailure(e, { step: 'backup', type: FailureType.BackupUnverified, what: 'the dump does not read back with pg_restore --list', remedy: 'check the backup disk and pg_dump/pg_restore versions', retryable: true });
      }
      const listed = new Set([...listing.stdout.matchAll(/ TABLE DATA (\S+) (\S+) /g)].map((m) => `${m[1]}.${m[2]}`));
      const missing = state.tables.map((x) => x.name).filter((n) => !listed.has(n));
      if (missing.length > 0) {
        throw deployFailure(FailureType.BackupUnverified, { step: 'backup', what: `the dump has no data for ${missing.join(', ')}`, remedy: 'check that the database role can read every table', retryable: false });
      }
      const { sha256: digest, sizeBytes } = await fingerprintPath(path);
      const facts: BackupFacts = {
        path, format: t.backup.format, sizeBytes, sha256: digest,
        archiveEntries: listing.stdout.split('\n').filter((l) => l && !l.startsWith(';')).length,
        state, durationMs: Date.now() - started,
      };
      // Beside the dump, for a person restoring by hand: what it holds and how to check it.
      await writeFile(`${path}.json`, JSON.stringify({ deploymentId, app: t.app, environment: t.environment, createdAt: new Date().toISOString(), ...facts }, null, 2), { mode: 0o600 });
      return facts;
    },

    /**
     * Puts the backup back. It is restored into a scratch database and proven equal to the
     * fingerprint first; only then is production swapped for it by two renames, so production is
     * never half-restored. The failed database is kept aside. Safe to run again at any stage.
     */
    async restoreDatabase({ deploymentId, target: t, backup }: RestoreInput): Promise<RestoreFacts> {
      const started = Date.now();
      const { db } = resolveDatabase(deps, t, 'restore-database');
      const maintenance = withDatabase(db, t.database.maintenanceDatabase);
      const names = restoreNames(db.database, deploymentId);
      const done = (restored: boolean, changed: boolean): RestoreFacts => ({ restored, changed, keptAs: restored ? names.keptAs : undefined, verified: true, tables: backup.state.tables.length, durationMs: Date.now() - started });

      const productionExists = await withClient(maintenance, async (c) => {
        if (!(await databaseExists(c, db.database))) return false;
        // A previous attempt may have died between closing the door and the rename: reopen it.
        await c.query(`ALTER DATABASE ${quoteIdent(db.database)} WITH ALLOW_CONNECTIONS true`);
        return true;
      });
      if (productionExists) {
        const current = await withClient(db, (c) => stateOf(t, db, c));
        if (diffStates(backup.state, current).length === 0) {
          return done(await withClient(maintenance, (c) => databaseExists(c, names.keptAs)), false);
        }
        const { sha256: digest } = await fingerprintPath(backup.path).catch(() => ({ sha256: 'missing' }));
        if (digest !== backup.sha256) {
          throw deployFailure(FailureType.RestoreUnverified, {
            step: 'restore-database',
            what: `the backup ${backup.path} is ${digest === 'missing' ? 'missing' : 'not the file that was verified (sha256 differs)'}`,
            remedy: `restore from another copy by hand (pg_restore --no-owner --dbname=<fresh database> <dump>, then rename it to ${db.database}); production is unchanged`,
            retryable: false,
          });
        }
        await withClient(maintenance, async (c) => {
          const { rows } = await c.query<{ encoding: string; collate: string; ctype: string }>(
            'SELECT pg_encoding_to_char(encoding) AS encoding, datcollate AS collate, datctype AS ctype FROM pg_database WHERE datname = $1', [db.database]);
          const p = rows[0]!;
          await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(names.scratch)} WITH (FORCE)`);
          await c.query(`CREATE DATABASE ${quoteIdent(names.scratch)} TEMPLATE template0 ENCODING '${p.encoding}' LC_COLLATE '${p.collate.replaceAll("'", "''")}' LC_CTYPE '${p.ctype.replaceAll("'", "''")}'`);
        });
        const scratch = withDatabase(db, names.scratch);
        try {
          await runInActivity(pgRestore(pgTool(t.pgBinDir, 'pg_restore'), scratch, { file: backup.path, jobs: t.backup.jobs }), 'restore');
        } catch (e) {
          throw commandFailure(e, { step: 'restore-database', type: FailureType.RestoreUnverified, what: `pg_restore into ${names.scratch} failed`, remedy: 'see the output; production is unchanged', retryable: true });
        }
        const restoredState = await withClient(scratch, (c) => stateOf(t, scratch, c));
        const diffs = diffStates(backup.state, restoredState);
        if (diffs.length > 0) {
          throw deployFailure(FailureType.RestoreUnverified, {
            step: 'restore-database',
            what: `the restored copy ${names.scratch} does not match the backup's fingerprint: ${diffs.join('; ')}`,
            remedy: 'inspect the scratch database; production is unchanged',
            retryable: false,
          });
        }
      }
      await withClient(maintenance, async (c) => {
        if (await databaseExists(c, db.database)) {
          // Close the door before emptying the room: no session may reconnect between terminate and rename.
          await c.query(`ALTER DATABASE ${quoteIdent(db.database)} WITH ALLOW_CONNECTIONS false`);
          await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(names.keptAs)} WITH (FORCE)`);
          for (let attempt = 0; ; attempt++) {
            await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [db.database]);
            try {
              await c.query(`ALTER DATABASE ${quoteIdent(db.database)} RENAME TO ${quoteIdent(names.keptAs)}`);
              break;
            } catch (e) {
              if (attempt >= 50) throw e;
              await new Promise((r) => setTimeout(r, 200));
            }
          }
          await c.query(`ALTER DATABASE ${quoteIdent(names.keptAs)} WITH ALLOW_CONNECTIONS true`);
        }
        await c.query(`ALTER DATABASE ${quoteIdent(names.scratch)} RENAME TO ${quoteIdent(db.database)}`);
      });
      const finalState = await withClient(db, (c) => stateOf(t, db, c));
      const diffs = diffStates(backup.state, finalState);
      if (diffs.length > 0) {
        throw deployFailure(FailureType.RestoreUnverified, { step: 'restore-database', what: `after the swap, ${db.database} does not match the backup: ${diffs.join('; ')}`, remedy: `inspect ${db.database} and ${names.keptAs} by hand`, retryable: false });
      }
      return done(true, true);
    },
  };
}
