import { mkdir, statfs } from 'node:fs/promises';
import { toolVersion } from '../commands/pg.js';
import type { TargetConfig } from '../config/schema.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import { lookupEnv, resolveDatabase, runInActivity, type ActivityDeps } from './deps.js';
import { commandFailure } from './failures.js';
import { pgTool, withClient } from './pgClient.js';

export interface ToolFacts {
  versions: Record<string, string>;
  pgDumpMajor: number;
}

export interface DatabaseFacts {
  serverVersion: string;
  serverMajor: number;
  sizeBytes: number;
  tables: number;
}

export interface EnvironmentFacts {
  /** Names only, with where each was found. Values never leave the worker. */
  present: { name: string; source: 'worker' | 'env-file' }[];
}

const majorOf = (version: string) => Number(/(\d+)(?:\.\d+)?/.exec(version)?.[1] ?? NaN);

export function createCheckActivities(deps: ActivityDeps) {
  return {
    /** git, npm, pg_dump and pg_restore are installed; their versions are recorded. */
    async checkTools({ target: t }: { target: TargetConfig }): Promise<ToolFacts> {
      const versions: Record<string, string> = { node: process.version };
      const tools: [string, string, string[]][] = [
        ['git', 'git', ['--version']],
        ['npm', 'npm', ['--version']],
        ['pg_dump', pgTool(t.pgBinDir, 'pg_dump'), ['--version']],
        ['pg_restore', pgTool(t.pgBinDir, 'pg_restore'), ['--version']],
      ];
      for (const [name, file, args] of tools) {
        try {
          versions[name] = (await runInActivity(name.startsWith('pg_') ? toolVersion(file) : { file, args, timeoutMs: 30_000 }, name)).stdout.trim();
        } catch (e) {
          throw commandFailure(e, { step: 'check-tools', type: FailureType.ToolMissing, what: `${name} does not run`, remedy: `install ${name} on the worker host${name.startsWith('pg_') ? ' (Debian: apt-get install postgresql-client-15, or set tools.pgBinDir)' : ''}`, retryable: false });
        }
      }
      return { versions, pgDumpMajor: majorOf(versions.pg_dump!) };
    },

    /** The database answers, pg_dump is new enough for it, and the role can restore by rename. */
    async checkDatabase({ target: t, pgDumpMajor }: { target: TargetConfig; pgDumpMajor: number }): Promise<DatabaseFacts> {
      const { db } = resolveDatabase(deps, t, 'check-database');
      let facts;
      try {
        facts = await withClient(db, async (c) => {
          const { rows } = await c.query<{ version: string; size: string; createdb: boolean; owner: boolean; tables: string }>(
            `SELECT current_setting('server_version') AS version,
                    pg_database_size(current_database()) AS size,
                    (SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user) AS createdb,
                    pg_has_role(current_user, (SELECT datdba FROM pg_database WHERE datname = current_database()), 'MEMBER') AS owner,
                    (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                      WHERE c.relkind IN ('r','p') AND n.nspname NOT IN ('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg\\_%') AS tables`,
          );
          return rows[0]!;
        });
      } catch (e) {
        throw deployFailure(FailureType.DatabaseUnreachable, {
          step: 'check-database',
          what: `cannot query the database ${db.database} on ${db.host}:${db.port}: ${(e as Error).message}`,
          remedy: `check that PostgreSQL runs and that ${t.database.urlEnv} is right`,
          retryable: true,
        });
      }
      const serverMajor = majorOf(facts.version);
      if (!(pgDumpMajor >= serverMajor)) {
        throw deployFailure(FailureType.ToolMissing, { step: 'check-database', what: `pg_dump ${pgDumpMajor} cannot dump a PostgreSQL ${serverMajor} server`, remedy: `install the PostgreSQL ${serverMajor} client tools (or newer) and set tools.pgBinDir`, retryable: false });
      }
      if (!facts.createdb || !facts.owner) {
        throw deployFailure(FailureType.InvalidConfig, {
          step: 'check-database',
          what: `the role ${db.user} must own ${db.database} and have CREATEDB, so that a rollback can restore into a fresh database and swap it in`,
          remedy: `ALTER ROLE ${db.user} CREATEDB; ALTER DATABASE ${db.database} OWNER TO ${db.user}`,
          retryable: false,
        });
      }
      return { serverVersion: facts.version, serverMajor, sizeBytes: Number(facts.size), tables: Number(facts.tables) };
    },

    /** Every required variable NAME is set for the app (its env file) or the worker; values are never read out. */
    async checkEnvironment({ target: t, names }: { target: TargetConfig; names: string[] }): Promise<EnvironmentFacts> {
      const present: EnvironmentFacts['present'] = [];
      const missing: string[] = [];
      for (const name of names) {
        const found = lookupEnv(deps, t.envFile, name);
        if (found) present.push({ name, source: found.source });
        else missing.push(name);
      }
      if (missing.length > 0) {
        throw deployFailure(FailureType.EnvironmentIncomplete, {
          step: 'check-environment',
          what: `required environment variables are not set: ${missing.join(', ')}`,
          remedy: `add them to ${t.envFile ?? "the worker's environment"} and start again; nothing was changed`,
          retryable: false,
          details: { missing },
        });
      }
      return { present };
    },

    /** The backup folder has room for the dump (database size × minFreeFactor). */
    async checkDisk({ target: t, databaseBytes }: { target: TargetConfig; databaseBytes: number }): Promise<{ freeBytes: number; requiredBytes: number }> {
      await mkdir(t.backup.dir, { recursive: true });
      const s = await statfs(t.backup.dir);
      const freeBytes = s.bavail * s.bsize;
      const requiredBytes = Math.ceil(databaseBytes * t.backup.minFreeFactor);
      if (freeBytes < requiredBytes) {
        throw deployFailure(FailureType.DiskSpaceLow, { step: 'check-disk', what: `${t.backup.dir} has ${freeBytes} bytes free, ${requiredBytes} needed`, remedy: 'free space or point backup.dir elsewhere', retryable: false });
      }
      return { freeBytes, requiredBytes };
    },
  };
}
