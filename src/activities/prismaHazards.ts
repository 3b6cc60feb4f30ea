import type pg from 'pg';
import { z } from 'zod';
import type { DbTarget } from '../commands/pg.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import type { TargetConfig } from '../config/schema.js';
import { resolveDatabase, type ActivityDeps } from './activityDeps.js';
import { parseInput } from './input.js';
import { withClient } from '../postgres/pgClient.js';
import { commitSchema, readReleaseText } from '../release/releaseFiles.js';

/**
 * The key of Prisma Migrate's session advisory lock: `SELECT pg_advisory_lock(72707369)` in
 * prisma-engines (schema-engine sql-schema-connector, PostgresFlavour::acquire_lock), taken for
 * 10 s at most before `migrate deploy` fails with P1002. As a bigint key it shows in pg_locks as
 * classid 0, objid 72707369, objsubid 1, in the lock holder's database.
 */
export const PRISMA_MIGRATE_LOCK_KEY = 72707369;

/** The oldest Prisma whose CLI behaves as safe-deploy needs (see prismaVersionProblem). */
export const MIN_PRISMA_VERSION = '4.3.0';

export interface PrismaHazard {
  kind: 'advisory-lock' | 'pooler' | 'prisma-version';
  what: string;
  remedy: string;
}

export interface PrismaVersion {
  version: string;
  major: number;
  source: 'package-lock.json' | 'package.json';
}

/** What the live probe saw: backend pids of two clients, see probeTransactionPooling. */
export interface PoolerProbe {
  firstPid?: number;
  secondPid?: number;
  otherClientPid?: number;
  /** The first client waited for a server connection while the other held a transaction. */
  blocked?: boolean;
  error?: string;
}

export interface PrismaHazardFacts {
  prisma: PrismaVersion;
  advisoryLock: { key: number; heldBy: number[] };
  pooler: { urlHints: string[]; probe: PoolerProbe };
}

export interface PrismaHazardInput {
  deploymentId: string;
  target: TargetConfig;
  /** The commit being deployed: its lockfile names the Prisma that will run the migrations. */
  targetCommit: string;
}

const inputSchema = z.object({ deploymentId: z.string().min(1).max(200), targetCommit: commitSchema }).loose();

const semver = (v: string) => {
  const m = /(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(v);
  return m ? ([Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)] as const) : undefined;
};
const below = (v: readonly number[], min: readonly number[]) =>
  v[0]! !== min[0]! ? v[0]! < min[0]! : v[1]! !== min[1]! ? v[1]! < min[1]! : v[2]! < min[2]!;

/**
 * The Prisma CLI version a release installs: its package-lock.json (v2/v3 `packages`, v1
 * `dependencies`), else the version range its package.json declares.
 */
export function prismaVersionFrom(
  lockText: string | undefined,
  packageText: string | undefined,
): PrismaVersion | undefined {
  const fromText = (version: unknown, source: PrismaVersion['source']): PrismaVersion | undefined => {
    const v = typeof version === 'string' ? semver(version) : undefined;
    return v ? { version: String(version), major: v[0], source } : undefined;
  };
  try {
    const lock = lockText ? JSON.parse(lockText) : undefined;
    const found = fromText(
      lock?.packages?.['node_modules/prisma']?.version ?? lock?.dependencies?.prisma?.version,
      'package-lock.json',
    );
    if (found) return found;
  } catch {
    /* an unreadable lockfile: npm ci would refuse it anyway; fall back to package.json */
  }
  try {
    const pkg = packageText ? JSON.parse(packageText) : undefined;
    return fromText(pkg?.devDependencies?.prisma ?? pkg?.dependencies?.prisma, 'package.json');
  } catch {
    return undefined;
  }
}

/**
 * Why a Prisma version cannot be deployed by safe-deploy, if it cannot. `migrate deploy` and
 * `migrate status` became generally available in 2.19.0; before 4.3.0 `migrate status` exits 0
 * with pending or failed migrations, and safe-deploy reads the exit code as part of the answer.
 */
export function prismaVersionProblem(p: PrismaVersion): string | undefined {
  const v = semver(p.version)!;
  if (below(v, [2, 19, 0]))
    return (
      `the target release uses Prisma ${p.version} (${p.source}), whose CLI has no \`prisma migrate deploy\` ` +
      `and \`prisma migrate status\` (generally available from 2.19.0)`
    );
  if (below(v, semver(MIN_PRISMA_VERSION)!))
    return (
      `the target release uses Prisma ${p.version} (${p.source}), whose \`prisma migrate status\` exits 0 ` +
      `even with pending or failed migrations (fixed in 4.3.0); safe-deploy relies on that exit code`
    );
  return undefined;
}

/**
 * Signs in the URL that it leads to a transaction-mode pooler: Prisma's own `pgbouncer=true`
 * flag, Neon's `-pooler` host names and Supabase's transaction pooler port 6543. Hints only
 * ever name the sign, never the URL.
 */
export function poolerHintsFromUrl(url: string): string[] {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return [];
  }
  const hints: string[] = [];
  if (u.searchParams.get('pgbouncer') === 'true')
    hints.push("the URL sets pgbouncer=true (Prisma's flag for PgBouncer in transaction mode)");
  if (/(^|[.-])pooler\./.test(u.hostname)) hints.push(`the host ${u.hostname} is a pooler endpoint`);
  if (/\.supabase\.(com|co)$/.test(u.hostname) && u.port === '6543')
    hints.push("port 6543 is Supabase's transaction-mode pooler");
  return hints;
}

/**
 * Whether the probe shows transaction pooling: on a direct (or session-pooled) connection a
 * client keeps one backend for its whole life, and no other client ever gets it. A pooler in
 * transaction mode hands the backend back after each transaction, so the next transaction may
 * run on another one, the other client may get the first one, or, with one server connection,
 * the first client must wait for the other's transaction to end.
 */
export function poolerFromProbe(p: PoolerProbe): string | undefined {
  if (p.error) return `the connection refuses a transaction block (${p.error}): a pooler in statement mode`;
  if (p.blocked) return 'a second client holding a transaction made the first one wait for a server connection';
  if (p.firstPid !== undefined && p.secondPid !== undefined && p.firstPid !== p.secondPid)
    return `two transactions on one connection ran on different server backends (${p.firstPid}, ${p.secondPid})`;
  if (p.otherClientPid !== undefined && p.otherClientPid === p.firstPid)
    return `another client was given this connection's server backend (${p.firstPid})`;
  return undefined;
}

const backendPid = async (c: pg.ClientBase) =>
  (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;

/** Two clients: A asks its backend pid, B opens a transaction and asks its own, A asks again. */
export async function probeTransactionPooling(db: DbTarget, waitMs = 3_000): Promise<PoolerProbe> {
  return withClient(db, (a) =>
    withClient(db, async (b) => {
      const firstPid = await backendPid(a);
      try {
        await b.query('BEGIN READ ONLY');
      } catch (e) {
        if (/pooling mode|transaction blocks not allowed/i.test((e as Error).message))
          return { firstPid, error: (e as Error).message };
        throw e;
      }
      try {
        const otherClientPid = await backendPid(b);
        // A's backend went to B: nothing more to see
        if (otherClientPid === firstPid) return { firstPid, otherClientPid };
        const second = backendPid(a);
        const timer = new Promise<'blocked'>((resolve) => setTimeout(() => resolve('blocked'), waitMs).unref());
        const secondPid = await Promise.race([second, timer]);
        if (secondPid === 'blocked') {
          await b.query('COMMIT');
          await second;
          return { firstPid, otherClientPid, blocked: true };
        }
        return { firstPid, secondPid, otherClientPid };
      } finally {
        await b.query('ROLLBACK').catch(() => undefined);
      }
    }),
  );
}

/** Sessions other than ours holding (or waiting for) Prisma Migrate's lock in this database. */
export async function migrateLockHolders(
  client: pg.ClientBase,
): Promise<{ pid: number; granted: boolean; applicationName: string | null }[]> {
  const { rows } = await client.query<{ pid: number; granted: boolean; application_name: string | null }>(
    `SELECT l.pid, l.granted, a.application_name
       FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.classid = 0 AND l.objid = $1 AND l.objsubid = 1 AND l.pid <> pg_backend_pid()
      ORDER BY l.granted DESC, l.pid`,
    [PRISMA_MIGRATE_LOCK_KEY],
  );
  return rows.map((r) => ({ pid: r.pid, granted: r.granted, applicationName: r.application_name }));
}

export function createPrismaHazardActivities(deps: ActivityDeps) {
  return {
    /**
     * Prisma's own hazards, before anything changes: another session holding Prisma Migrate's
     * advisory lock, a database URL through a transaction-mode pooler, and a Prisma too old for
     * the commands safe-deploy runs. Any of them fails with a non-retryable PrismaHazard.
     */
    async checkPrismaHazards(input: PrismaHazardInput): Promise<PrismaHazardFacts> {
      const { deploymentId, targetCommit } = parseInput(inputSchema, input, 'inspect-migrations', 'checkPrismaHazards');
      const t = input.target;
      const { url, db } = resolveDatabase(deps, t, 'inspect-migrations');
      const hazards: PrismaHazard[] = [];

      const read = (path: string) =>
        readReleaseText(t, targetCommit, path, { deploymentId, step: 'inspect-migrations' });
      const prisma = prismaVersionFrom(await read('package-lock.json'), await read('package.json'));
      const versionProblem = prisma
        ? prismaVersionProblem(prisma)
        : 'the target release does not depend on prisma (no prisma in package-lock.json or package.json)';
      if (versionProblem)
        hazards.push({
          kind: 'prisma-version',
          what: versionProblem,
          remedy:
            `deploy a release that installs prisma ${MIN_PRISMA_VERSION} or later (upgrade Prisma in a ` +
            `release of its own), or migrate this one by hand`,
        });

      const holders = await withClient(db, migrateLockHolders);
      if (holders.length > 0) {
        const who = holders
          .map(
            (h) =>
              `pid ${h.pid}` +
              (h.applicationName ? ` (${h.applicationName})` : '') +
              (h.granted ? ' holds it' : ' waits for it'),
          )
          .join(', ');
        hazards.push({
          kind: 'advisory-lock',
          what:
            `another session is using Prisma Migrate's advisory lock ${PRISMA_MIGRATE_LOCK_KEY}: ${who}; ` +
            `prisma migrate deploy would wait 10 s and fail (P1002)`,
          remedy:
            `let that migration finish, or find the session (SELECT * FROM pg_stat_activity WHERE pid = …) ` +
            `and end it if it is stale, then deploy again`,
        });
      }

      const urlHints = poolerHintsFromUrl(url);
      const probe = await probeTransactionPooling(db);
      const probed = poolerFromProbe(probe);
      if (urlHints.length > 0 || probed) {
        hazards.push({
          kind: 'pooler',
          what:
            `${t.database.urlEnv} goes through a transaction-mode connection pooler ` +
            `(${[...urlHints, ...(probed ? [probed] : [])].join('; ')}); Prisma Migrate needs a session of ` +
            `its own for its advisory lock and migrations`,
          remedy:
            `point ${t.database.urlEnv} (for the worker and the app's migrate commands) at the database ` +
            `directly, or at a session-mode pool`,
        });
      }

      if (hazards.length > 0) {
        throw deployFailure(FailureType.PrismaHazard, {
          step: 'inspect-migrations',
          what: `Prisma cannot migrate safely: ${hazards.map((h) => h.what).join('. ')}`,
          remedy: `${hazards.map((h) => h.remedy).join('; ')}. Nothing was changed`,
          retryable: false,
          details: { hazards },
        });
      }
      return {
        prisma: prisma!,
        advisoryLock: { key: PRISMA_MIGRATE_LOCK_KEY, heldBy: [] },
        pooler: { urlHints, probe },
      };
    },
  };
}
