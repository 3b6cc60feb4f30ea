import { statfs } from 'node:fs/promises';
import { toolVersion } from '../commands/pg.js';
import type { TargetConfig } from '../config/schema.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import { lookupEnv, resolveDatabase, runInActivity, type ActivityDeps } from './activityDeps.js';
import { commandFailure } from './commandFailure.js';
import { pgTool, withClient } from '../postgres/pgClient.js';
import { ensurePrivateDir } from '../release/privateFiles.js';
import { formatBytes } from '../shared/humanize.js';

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

export interface DiskFacts {
  /** Free and required bytes in backup.dir (required: 0 when no dump is taken). */
  freeBytes: number;
  requiredBytes: number;
  /** The cluster's data directory, checked for a snapshot. */
  dataDirectory?: { path: string; freeBytes: number; requiredBytes: number };
  /** Why the data directory was not checked. */
  note?: string;
}

const freeBytesAt = async (path: string) => {
  const s = await statfs(path);
  return s.bavail * s.bsize;
};

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
          versions[name] = (
            await runInActivity(name.startsWith('pg_') ? toolVersion(file) : { file, args, timeoutMs: 30_000 }, name)
          ).stdout.trim();
        } catch (e) {
          throw commandFailure(e, {
            step: 'check-tools',
            type: FailureType.ToolMissing,
            what: `${name} does not run`,
            remedy:
              `install ${name} on the worker host` +
              (name.startsWith('pg_') ? ' (Debian: apt-get install postgresql-client-15, or set tools.pgBinDir)' : ''),
            retryable: false,
          });
        }
      }
      return { versions, pgDumpMajor: majorOf(versions.pg_dump!) };
    },

    /** The database answers, pg_dump is new enough for it, and the role can restore by rename. */
    async checkDatabase({
      target: t,
      pgDumpMajor,
    }: {
      target: TargetConfig;
      pgDumpMajor: number;
    }): Promise<DatabaseFacts> {
      const { db } = resolveDatabase(deps, t, 'check-database');
      let facts;
      try {
        facts = await withClient(db, async (c) => {
          const { rows } = await c.query<{
            version: string;
            size: string;
            createdb: boolean;
            owner: boolean;
            tables: string;
          }>(
            `SELECT current_setting('server_version') AS version,
                    pg_database_size(current_database()) AS size,
                    (SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = ` +
              `current_user) AS createdb,
                    pg_has_role(current_user, (SELECT datdba FROM pg_database WHERE datname = ` +
              `current_database()), 'MEMBER') AS owner,
                    (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = ` +
              `c.relnamespace
                      WHERE c.relkind IN ('r','p') AND n.nspname NOT IN ` +
              `('pg_catalog','information_schema') AND n.nspname NOT LIKE 'pg\\_%') AS tables`,
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
        throw deployFailure(FailureType.ToolMissing, {
          step: 'check-database',
          what: `pg_dump ${pgDumpMajor} cannot dump a PostgreSQL ${serverMajor} server`,
          remedy: `install the PostgreSQL ${serverMajor} client tools (or newer) and set tools.pgBinDir`,
          retryable: false,
        });
      }
      if (!facts.createdb || !facts.owner) {
        throw deployFailure(FailureType.InvalidConfig, {
          step: 'check-database',
          what:
            `the role ${db.user} must own ${db.database} and have CREATEDB, so that a rollback can restore ` +
            `into a fresh database and swap it in`,
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

    /**
     * Room for the backup, from the database's size (pg_database_size): in `backup.dir` for a dump,
     * and for a snapshot in the cluster's data directory too, when the role may read its path
     * (pg_read_all_settings) and it is on this host; else that check is skipped, with a note.
     */
    async checkDisk({ target: t, databaseBytes }: { target: TargetConfig; databaseBytes: number }): Promise<DiskFacts> {
      const requiredBytes = Math.ceil(databaseBytes * t.backup.minFreeFactor);
      const lowDisk = (where: string, free: number, remedy: string) =>
        deployFailure(FailureType.DiskSpaceLow, {
          step: 'check-disk',
          what:
            `${where} has ${formatBytes(free)} free, ${formatBytes(requiredBytes)} needed ` +
            `(${t.backup.minFreeFactor} × the database's ${formatBytes(databaseBytes)}; exactly ${free} of ` +
            `${requiredBytes} bytes)`,
          remedy,
          retryable: false,
        });
      await ensurePrivateDir(t.backup.dir, { field: 'backup.dir', step: 'check-disk', tighten: true });
      const freeBytes = await freeBytesAt(t.backup.dir);
      if (t.backup.dump && freeBytes < requiredBytes)
        throw lowDisk(t.backup.dir, freeBytes, 'free space or point backup.dir elsewhere');
      const facts: DiskFacts = { freeBytes, requiredBytes: t.backup.dump ? requiredBytes : 0 };
      if (t.backup.method !== 'snapshot') return facts;

      const { db } = resolveDatabase(deps, t, 'check-disk');
      const dataDirectory = await withClient(db, async (c) => {
        try {
          return (await c.query<{ d: string }>("SELECT current_setting('data_directory') AS d")).rows[0]!.d;
        } catch {
          return undefined; // not superuser nor pg_read_all_settings
        }
      });
      const local = ['127.0.0.1', 'localhost', '::1'].includes(db.host) || db.host.startsWith('/');
      const free = dataDirectory && local ? await freeBytesAt(dataDirectory).catch(() => undefined) : undefined;
      if (free === undefined || !dataDirectory) {
        facts.note = !dataDirectory
          ? `not checked: room for the snapshot in the cluster's data directory (the role ${db.user} may not ` +
            `read data_directory; grant it pg_read_all_settings)`
          : `not checked: room for the snapshot in ${dataDirectory} ` +
            `(${local ? 'not readable from the worker' : `the database is on ${db.host}`})`;
        return facts;
      }
      if (free < requiredBytes)
        throw lowDisk(
          `the cluster's data directory ${dataDirectory}`,
          free,
          "free space on the database server, or use backup.method 'dump'",
        );
      return { ...facts, dataDirectory: { path: dataDirectory, freeBytes: free, requiredBytes } };
    },
  };
}
