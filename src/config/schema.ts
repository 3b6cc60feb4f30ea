import { isDuration, type Duration } from '../shared/duration.js';
import { z } from 'zod';
import { WEEKDAYS } from '../shared/calendar.js';
import { DEFAULT_MANIFEST_FILE } from '../shared/constants.js';
import { NOTIFY_EVENTS } from '../shared/notify.js';
import { normalizeAbsolutePath, normalizeRepoPath } from '../shared/paths.js';
import { pathProblem } from '../shared/urls.js';

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'use lowercase letters, digits and dashes (max 63)');
/** A branch, tag or commit: no option-looking or path-escaping values ever reach git's argv. */
const gitRef = z
  .string()
  .min(1)
  .max(200)
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._/-]*$/,
    'a git branch, tag or commit (letters, digits, . _ / -; must not start with - or .)',
  )
  .refine((r) => !r.includes('..') && !r.endsWith('.lock') && !r.endsWith('/'), 'not a valid git ref');
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable NAME (never its value)');
const argv = z.array(z.string().min(1)).min(1, 'a command as an argument array, e.g. ["npm", "ci"]');
const duration = z.custom<Duration>(isDuration, "a duration such as '90 seconds' or milliseconds");
/** Normalised: `/var/backups//app/` is `/var/backups/app`; `..`, `/` alone and control characters are refused. */
const absolutePath = z.string().transform((p, ctx) => {
  const r = normalizeAbsolutePath(p);
  if ('problem' in r) {
    ctx.addIssue({ code: 'custom', message: r.problem });
    return z.NEVER;
  }
  return r.path;
});
/**
 * A path inside the app's repository, normalised (`./prisma/migrations/`
 * is `prisma/migrations`); absolute or `..` refused.
 */
const repoPath = z.string().transform((p, ctx) => {
  const r = normalizeRepoPath(p);
  if ('problem' in r) {
    ctx.addIssue({ code: 'custom', message: r.problem });
    return z.NEVER;
  }
  return r.path;
});
/** An http(s) URL: `file:`, `gopher:`, `javascript:` and the like are refused. */
const httpUrl = z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' });
/** A path on the app's own origin (see shared/urls.ts): `//host/x`, `/\host`, `/../x` are refused. */
const requestPath = z.string().superRefine((p, ctx) => {
  const problem = pathProblem(p);
  if (problem) ctx.addIssue({ code: 'custom', message: `a request path on baseUrl's origin: ${problem}` });
});
const packageName = z.string().regex(/^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/, 'an npm package name');
const qualifiedColumn = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/, 'table.column');
const tableName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a table name');

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day as HH:MM (24-hour)');
const timeZone = z.string().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'an IANA time zone such as Europe/Madrid');
/** The days of a window: the grammar that writes them is src/shared/calendar.ts. */
export { WEEKDAYS };

/**
 * A low-traffic window: on each of `days` (local to `timeZone`) from `start` to `end`; an `end`
 * at or before `start` ends the next day. Started outside it, a deployment waits durably.
 */
export const deployWindowSchema = z
  .object({
    /** The days the window opens on (local to `timeZone`); default: every day. */
    days: z
      .array(z.enum(WEEKDAYS))
      .min(1)
      .default([...WEEKDAYS]),
    /** When the window opens, HH:MM local time. */
    start: hhmm,
    /** When it closes, HH:MM local time; at or before `start`: the next day. */
    end: hhmm,
    /** An IANA time zone such as Europe/Madrid. */
    timeZone: timeZone.default('UTC'),
  })
  .strict();
export type DeployWindow = z.output<typeof deployWindowSchema>;

/** What to deploy: the workflow's single JSON argument. Where and how comes from the worker's config. */
export const deployRequestSchema = z
  .object({
    /** The app's name: a key of the worker config's `apps`. */
    app: slug,
    /** The environment's name: a key under the app (e.g. `production`). */
    environment: slug,
    ref: gitRef,
    /**
     * Run the pre-checks, lint and rehearsal and report what a real deployment would do and ask, changing nothing in
     * production.
     */
    dryRun: z.boolean().default(false),
    /** Why this deployment: shown by `status`, `history`, the report and the Web UI. */
    reason: z.string().max(500).optional(),
    /** Who asked for it (the CLI fills in the local user): shown beside the reason. */
    requestedBy: z.string().max(200).optional(),
    /** Minutes of monitoring after verification (default: the environment's `monitor.minutes`). */
    monitorMinutes: z.number().int().min(0).max(1440).optional(),
    /** Wait for this window before changing anything. */
    window: deployWindowSchema.optional(),
  })
  .strict();
export type DeployRequestInput = z.input<typeof deployRequestSchema>;
export type DeployRequest = z.output<typeof deployRequestSchema>;

/**
 * One HTTP check of the running app. String values in `body`, `bearer` and `path` may use
 * `{{runId}}` (unique per verification run) and any name captured by an earlier check.
 */
export const httpCheckSchema = z
  .object({
    /** Names the check in the report and in a failure. */
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase name with dashes'),
    /** A check that writes (not GET) is refused with `writes.stopAt: 'database'`. */
    method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
    path: requestPath,
    /** A JSON request body (sent with `content-type: application/json`). */
    body: z.json().optional(),
    /** Sent as `Authorization: Bearer …`, to baseUrl's origin only; usually a captured `{{token}}`. */
    bearer: z.string().optional(),
    /** The HTTP status the response must have. */
    expectStatus: z.number().int().min(100).max(599).default(200),
    /** The response must contain these top-level fields with these values. */
    expectJson: z.record(z.string(), z.json()).optional(),
    /** Save top-level response fields for later checks: { variable: field }. */
    capture: z.record(z.string(), z.string()).optional(),
  })
  .strict();
export type HttpCheck = z.output<typeof httpCheckSchema>;

const expectationsSchema = z
  .object({
    /** Tables that must exist after the migration. */
    tables: z.array(tableName).default([]),
    /** Columns (`table.column`) that must exist after the migration. */
    columns: z.array(qualifiedColumn).default([]),
  })
  .strict();

/** What a release declares about itself in `.safe-deploy.json` at its root. */
export const releaseManifestSchema = z
  .object({
    /** Variable NAMES the release needs set (worker env or envFile), checked before anything changes. */
    requiredEnv: z.array(envName).default([]),
    /** npm packages that must resolve from the installed release before it goes live. */
    requiredPackages: z.array(packageName).default([]),
    /** Tables and columns this release must have once migrated: checked by verify. */
    expect: expectationsSchema.default({ tables: [], columns: [] }),
    /** The release's own HTTP checks, run after the environment's own in every verification. */
    checks: z.array(httpCheckSchema).default([]),
  })
  .strict();
export type ReleaseManifest = z.output<typeof releaseManifestSchema>;

/**
 * A webhook told about the deployment (JSON with a Slack-compatible `text`). The URL is a secret
 * (a Slack webhook URL is its own credential): the config names the variable that holds it, read
 * in the worker's env or the app's envFile when a notification is sent.
 */
export const notifySchema = z
  .object({
    webhookUrlEnv: envName.describe('NAME of the variable holding the webhook URL (worker env or envFile)'),
    events: z
      .array(z.enum(NOTIFY_EVENTS))
      .min(1)
      .default([...NOTIFY_EVENTS])
      .describe('which events to send (default: all)'),
    timeout: duration.default('10 seconds').describe('per request; a timeout is retried by the activity retry policy'),
    webUiUrl: httpUrl
      .optional()
      .describe('the Temporal Web UI, e.g. http://temporal.example:8233: notifications link to the deployment'),
  })
  .strict();
export type NotifyConfig = z.output<typeof notifySchema>;

/** How one app is deployed in one environment, on this worker's host. */
export const environmentConfigSchema = z
  .object({
    appDir: absolutePath.describe(
      "the app's directory: the production working copy (in-place), or the `current` symlink (releases)",
    ),
    /** A remote's NAME (not a URL): never starting with `-` or `.`, so git cannot read it as an option or a path. */
    gitRemote: z
      .string()
      .max(100)
      .regex(
        /^[A-Za-z0-9_][A-Za-z0-9._-]*$/,
        'a git remote name such as origin (letters, digits, . _ -; must not start with - or .)',
      )
      .default('origin'),
    /**
     * `in-place` (default): appDir is a git working copy that is checked out and reinstalled.
     * `releases` (Capistrano-style): each release is its own directory `<root>/releases/<time>-<sha>`
     * with its own node_modules, and appDir is the `current` symlink, switched atomically; a
     * rollback switches it back, with no git or npm at rollback time.
     */
    codeLayout: z.enum(['in-place', 'releases']).default('in-place'),
    /** With `codeLayout: 'releases'`: where releases come from and how many stay on disk. */
    releases: z
      .object({
        /** Where the app's git repository is fetched from (URL or path); mirrored in `<root>/repo`. */
        repository: z
          .string()
          .min(1)
          .refine(
            (r) => !r.startsWith('-') && !/[\u0000-\u001f\u007f]/.test(r) && !/^[A-Za-z][A-Za-z0-9+.-]*::/.test(r),
            'a git URL (https, ssh, git, file) or path: not starting with -, no control characters, no ' +
              '`transport::` helper such as ext::',
          ),
        /** Releases kept on disk (the current and previous ones always are). */
        keep: z.number().int().min(2).max(100).default(5),
      })
      .strict()
      .optional(),
    /**
     * Several hosts: one worker per host, each on its own task queue and with its own config of
     * this app+environment (its appDir, commands, baseUrl). The database steps run once, on the
     * first host; code, dependencies, restart and verification run on each, one at a time or all
     * at once (`rollout`), and a rollback undoes every host that changed.
     */
    hosts: z
      .array(
        z
          .object({
            /** The host's name in steps and the report (`… on web-2`). */
            name: slug,
            /** The task queue that host's worker polls (its `SAFE_DEPLOY_TASK_QUEUE`). */
            taskQueue: z.string().min(1).max(200),
          })
          .strict(),
      )
      .min(1)
      .refine((hs) => new Set(hs.map((h) => h.name)).size === hs.length, 'host names must be unique')
      .optional(),
    /**
     * With several `hosts`: switch, restart and verify them one after the other (a failure stops at the first) or all
     * at once.
     */
    rollout: z.enum(['one-at-a-time', 'parallel']).default('one-at-a-time'),
    /** Scratch space for staged releases (rehearsals); default `<backup.dir>/work`. */
    workDir: absolutePath.optional(),
    /**
     * The rehearsal: the migration runs first on a copy of the backup. With `startPrevious`, the
     * previous release is also started against the migrated copy (its health and GET checks must
     * pass): then a rollback of an additive migration may keep the database (code-only).
     */
    rehearsal: z
      .object({
        /**
         * Rehearse the pending migrations on an online copy before writes pause; a migration that fails there aborts
         * with production untouched.
         */
        enabled: z.boolean().default(true),
        /** Also start the previous release against the migrated copy, proving a code-only rollback would work. */
        startPrevious: z
          .object({
            /** Starts the app in the foreground from its directory, e.g. ["node", "src/server.js"]. */
            command: argv,
            /** The variable the app reads its port from; a free port is given. */
            portEnv: envName.default('PORT'),
            /** How long the previous release may take to answer its health check on the copy. */
            timeout: duration.default('30 seconds'),
          })
          .strict()
          .optional(),
        /**
         * After an additive migration the previous release was proven to run on: roll back code only, keep the data.
         */
        preferCodeOnly: z.boolean().default(true),
        /**
         * Which rows the copy gets. `needed`: every table's schema, but only the rows the pending
         * migrations can depend on — the tables they name, the foreign-key neighbours of tables whose
         * rows they write, the tables copied rows reference, partitions, `_prisma_migrations`; every
         * row as soon as they could reach further (a user function, a view, a trigger, a DO block),
         * and always with `startPrevious`.
         * `all`: every row, always.
         */
        rows: z.enum(['needed', 'all']).default('needed'),
      })
      .strict()
      .default({ enabled: true, preferCodeOnly: true, rows: 'needed' }),
    /** How safe-deploy reaches the app's database; the URL itself is a secret and only named here. */
    database: z
      .object({
        urlEnv: envName.describe('NAME of the variable holding the database URL (worker env or envFile)'),
        appEnvName: envName
          .default('DATABASE_URL')
          .describe('name under which the app and its Prisma CLI expect the URL'),
        /**
         * The database safe-deploy's own sessions connect to to create, rename and drop databases (copies, restores).
         */
        maintenanceDatabase: z.string().min(1).default('postgres'),
        /**
         * How long safe-deploy's own SQL waits for a lock someone else
         * holds before it fails (lock_timeout of every session it opens).
         */
        lockTimeout: duration.default('10 seconds'),
        /**
         * How long one of safe-deploy's own statements may run (statement_timeout). Long on purpose:
         * CREATE DATABASE … TEMPLATE of the whole database (snapshot, rehearsal copy) and the
         * checksum of the biggest table run as one statement each.
         */
        statementTimeout: duration.default('1 hour'),
        /**
         * How long a step that needs PostgreSQL waits for it to answer (each attempt) before it
         * fails with DatabaseUnreachable; a step whose work failed while PostgreSQL was away
         * (down, or restarted under it) is retried and waits again.
         */
        outageWait: duration.default('5 minutes'),
      })
      .strict(),
    /**
     * The migration lint with the live database (docs/lint/live-database.md): a finding that is only
     * about time under a lock (a rewrite, a scan, an index build) is risky only on a table above
     * these sizes (the catalog's estimate), a notice below; `mbPerSecond` replaces the assumed
     * throughput of the lock-time estimate (e.g. with what a rehearsal measured).
     */
    lint: z
      .object({
        /** Rows (catalog estimate) above which a lock-time finding is risky; default 10000. */
        riskyAboveRows: z.number().int().min(0).optional(),
        /** Table size in MB above which a lock-time finding is risky; default 10. */
        riskyAboveMb: z.number().min(0).optional(),
        /** Throughput for the lock-time estimate; default 50 MB/s, printed as assumed. */
        mbPerSecond: z.number().positive().optional(),
      })
      .strict()
      .optional(),
    envFile: absolutePath.optional().describe("the app's KEY=VALUE environment file (e.g. systemd EnvironmentFile)"),
    /** The backup taken inside the write pause, before the database changes, and what a rollback restores. */
    backup: z
      .object({
        dir: absolutePath.describe('where dumps (and their .json descriptions) are written'),
        /**
         * `dump`: pg_dump before the deployment; a rollback pg_restores it into a fresh database,
         * proves it, and swaps it in by rename. `snapshot`: a copy of the database in the same
         * cluster (CREATE DATABASE … TEMPLATE) before the deployment; a rollback renames it in.
         */
        method: z.enum(['dump', 'snapshot']).default('dump'),
        /** With `snapshot`: also take a pg_dump, for disaster recovery off the database server. */
        dump: z.boolean().default(true),
        /** Retention: the newest `keep` dumps, snapshots and kept-aside databases of this app and environment stay. */
        keep: z.number().int().min(1).max(100).default(3),
        /** pg_dump's format: `directory` dumps and restores in parallel (`jobs`), `custom` is one file. */
        format: z.enum(['custom', 'directory']).default('directory'),
        /** pg_dump/pg_restore parallel jobs (directory format only for pg_dump). */
        jobs: z.number().int().min(1).max(16).default(2),
        /**
         * gzip level of the dump: 1 takes half the time of pg_dump's default 6 for a third more disk (measured, 1 GB).
         */
        compression: z.number().int().min(0).max(9).default(1),
        /**
         * Free space required in `dir` (and, for a snapshot, in the
         * cluster's data directory), as a multiple of the database's size.
         */
        minFreeFactor: z.number().min(0).default(2),
      })
      .strict()
      .refine((b) => b.method === 'snapshot' || b.dump, {
        message: "dump: false needs method 'snapshot': the dump is method 'dump''s only backup",
        path: ['dump'],
      }),
    /** How a staged release gets its dependencies (docs/configuration.md, "Staging without a second install"). */
    install: z
      .object({
        /**
         * Staging: when the release's package.json dependency fields, package-lock.json (but for the
         * root's own version) and .npmrc equal the live tree's, and the live node_modules is what its
         * lockfile says (node_modules/.package-lock.json), the staged tree starts from a copy of the
         * live node_modules (never hard links) instead of `commands.install` (npm ci), then runs
         * what npm ci runs after extracting: `npm rebuild` and the root's install scripts.
         */
        reuseLiveModules: z.boolean().default(true),
      })
      .strict()
      .default({ reuseLiveModules: true }),
    /** The app's own commands, each an argv array (never a shell string), run in appDir with the app's environment. */
    commands: z
      .object({
        /** Installs the release's dependencies from its lockfile (while staging, before writes pause). */
        install: argv.default(['npm', 'ci', '--no-audit', '--no-fund']),
        /**
         * Build commands run after install, in order (e.g. `[["npx", "prisma", "generate"], ["npm", "run",
         * "build"]]`).
         */
        build: z.array(argv).default([]),
        /** Applies the pending migrations; the npx form starts the app's own Prisma CLI directly. */
        migrateDeploy: argv.default(['npx', '--no-install', 'prisma', 'migrate', 'deploy']),
        /** Reads the migration history as the app's Prisma sees it. */
        migrateStatus: argv.default(['npx', '--no-install', 'prisma', 'migrate', 'status']),
        /**
         * Runbook Option B, only after an `approve --action reset`:
         * drops everything and applies the target's migrations.
         */
        migrateReset: argv.default(['npx', '--no-install', 'prisma', 'migrate', 'reset', '--force', '--skip-seed']),
        /**
         * A failed migration's resolution, after an `approve --action resolve-…`. `'sql'` (default):
         * safe-deploy writes `_prisma_migrations` itself exactly as Prisma's schema engine does for
         * `prisma migrate resolve` (it works whatever engine the app's CLI has: Prisma 6 over a
         * driver adapter, without the native engine, cannot run `--rolled-back`). Or the app's own
         * CLI as an argv, to which `--rolled-back <name>` / `--applied <name>` is added.
         */
        migrateResolve: z.union([z.literal('sql'), argv]).default('sql'),
        /**
         * Restarts the app so it runs the new code (e.g. `["systemctl", "restart", "app"]`); health must answer
         * afterwards.
         */
        restart: argv,
      })
      .strict(),
    /** Non-secret variables given to the app's commands (install, build, migrate, restart). */
    commandEnv: z.record(envName, z.string()).default({}),
    baseUrl: httpUrl,
    /** The health endpoint on baseUrl, polled after every restart until it answers 200 or `timeout` passes. */
    health: z
      .object({
        path: requestPath.default('/health'),
        /** How long a restarted app may take to answer its health check. */
        timeout: duration.default('60 seconds'),
      })
      .strict()
      .default({ path: '/health', timeout: '60 seconds' }),
    /** HTTP checks of the running app, run in order at every verification (deployment and rollback). */
    checks: z.array(httpCheckSchema).default([]),
    /**
     * The app's own log: a file, or the argv of a command that prints it (`["journalctl", "-u",
     * "app", "-n", "50"]`, cut after 5 s). A restart or health failure carries its last 50 lines,
     * secrets redacted, in the failure and the report.
     */
    logs: z.union([absolutePath, argv]).optional(),
    /**
     * Restoring a backup throws away writes made after it. `stop` (default): writes are stopped
     * with `stop` (a maintenance mode, or stopping the app) before the backup and resumed with
     * `resume` once verification passed; while stopped, the checks send the `bypass` header.
     * `detect`: the app keeps serving; before a restore the workflow counts writes made since the
     * backup by others than safe-deploy and, if any, waits for an `approve` update.
     * `stopAt: 'database'` (policy `stop`, no commands): the app's role is made read-only in the
     * app's database and its sessions ended, so the app keeps serving reads (docs/writes-and-logs.md).
     */
    writes: z
      .object({
        /**
         * `stop`: writes paused from backup to verification; `detect`: never paused, lost writes counted before a
         * restore.
         */
        policy: z.enum(['stop', 'detect']).default('stop'),
        /** Pauses the app's writes (e.g. maintenance mode on); required with policy `stop` at the app. */
        stop: argv.optional(),
        /** Resumes them (maintenance mode off). */
        resume: argv.optional(),
        /**
         * Where policy `stop` pauses: `app` (default: the `stop`/`resume` commands), `database` (the role read-only).
         */
        stopAt: z.enum(['app', 'database']).optional(),
        /** The role made read-only under `stopAt: 'database'`; default: the user of the database URL. */
        role: z
          .string()
          .min(1)
          .refine((r) => Buffer.byteLength(r, 'utf8') <= 63, 'a PostgreSQL role name (at most 63 bytes)')
          .optional(),
        /** A header the checks send while writes are paused, so a maintenance mode lets them through. */
        bypass: z
          .object({
            /** The header's name, e.g. `x-maintenance-bypass`. */
            header: z.string().regex(/^[A-Za-z0-9-]+$/, 'an HTTP header name'),
            /** NAME of the variable holding its value (a secret: worker env or envFile). */
            valueEnv: envName,
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({ policy: 'stop' })
      .refine(
        (w) => w.policy === 'detect' || w.stopAt === 'database' || (w.stop !== undefined && w.resume !== undefined),
        {
          message:
            "policy 'stop' needs both `stop` and `resume` commands (e.g. a maintenance mode on/off), or " +
            "stopAt 'database' (the app's role read-only); or choose policy 'detect'",
        },
      )
      .refine((w) => w.stopAt !== 'database' || (w.policy === 'stop' && !w.stop && !w.resume), {
        message:
          "stopAt 'database' is policy 'stop' without commands: the database pauses the writes, so remove " +
          "`stop`/`resume` (or use stopAt 'app')",
      })
      .refine((w) => w.role === undefined || w.stopAt === 'database', {
        message: "`role` is the role stopAt 'database' makes read-only: set stopAt 'database' or remove it",
      }),
    /** After verification: health (and optionally an error counter and a command) every `interval` for `minutes`. */
    monitor: z
      .object({
        /** How long to watch the release after verification (0: not at all); `rollback` works during it. */
        minutes: z.number().int().min(0).max(1440).default(0),
        /** Time between two looks. */
        interval: duration.default('30 seconds'),
        /** A command that must exit 0 at every look (e.g. a smoke script). */
        command: argv.optional(),
        /** A numeric field of a JSON endpoint that must not grow by more than `maxIncrease` during the window. */
        errorCounter: z
          .object({
            path: requestPath,
            /** The top-level numeric field of its JSON answer, e.g. `errors`. */
            field: z.string().min(1),
            /** How much it may grow over the whole window. */
            maxIncrease: z.number().int().min(0).default(0),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({ minutes: 0, interval: '30 seconds' }),
    /**
     * Schema drift (runbook Option B). `resetMaxRows` > 0: when production has drifted and every
     * table holds at most that many rows, the migration-risk gate offers `approve --action reset`
     * (backup, then the app's `prisma migrate reset` and the target's migrations); when a table
     * holds more, the deployment stops `aborted` with the data inventory for a DBA. 0 (default):
     * never a reset; drift is an approval to deploy over it, as without Option B.
     */
    drift: z
      .object({
        /** The largest table (rows) a reset may wipe; 0 never offers one. */
        resetMaxRows: z.number().int().min(0).default(0),
      })
      .strict()
      .default({ resetMaxRows: 0 }),
    /**
     * The rollback's undos are retried for `retryFor` (every 2 s, then up to every 30 s) before one
     * is given up: an outage of PostgreSQL or the network is waited out, not turned into
     * `rollback-failed`.
     */
    rollback: z
      .object({
        /** How long each undo is retried before the rollback fails. */
        retryFor: duration.default('10 minutes'),
      })
      .strict()
      .default({ retryFor: '10 minutes' }),
    /** How long a deployment waits for an `approve`/`reject` before it gives up (nothing is changed while it waits). */
    approval: z
      .object({
        /** How long the approval gate stays open. */
        timeout: duration.default('1 hour'),
      })
      .strict()
      .default({ timeout: '1 hour' }),
    /** Variable NAMES the app needs set in its environment, checked before anything changes. */
    requiredEnv: z.array(envName).default([]),
    /** npm packages that must resolve from every installed release before it goes live. */
    requiredPackages: z.array(packageName).default([]),
    /** Tables and columns every release must have after migrating, checked by verify. */
    expect: expectationsSchema.default({ tables: [], columns: [] }),
    notify: notifySchema.optional(),
    migrationsDir: repoPath.default('prisma/migrations'),
    /**
     * The release manifest, relative to the repository root. A release without the default file is
     * an older release (nothing declared); a file named here explicitly must exist in the target
     * release, so that a typo cannot silently drop the release's checks.
     */
    manifestFile: repoPath.default(DEFAULT_MANIFEST_FILE),
    /** How long each kind of the app's commands may run before it is stopped (the whole process tree). */
    commandTimeouts: z
      .object({
        /** `commands.install` and each `commands.build`. */
        install: duration.default('20 minutes'),
        /** `commands.migrateDeploy` (and the rehearsal's run of it). */
        migrate: duration.default('30 minutes'),
        /** `commands.restart`, `writes.stop`/`resume` and `monitor.command`. */
        restart: duration.default('2 minutes'),
        /** Each git fetch, checkout and clone. */
        git: duration.default('5 minutes'),
      })
      .strict()
      .default({ install: '20 minutes', migrate: '30 minutes', restart: '2 minutes', git: '5 minutes' }),
  })
  .strict();
export type EnvironmentConfig = z.output<typeof environmentConfigSchema>;

/** Cross-field rules of an environment: checked by loadConfig, each naming its field. */
export function environmentProblems(e: EnvironmentConfig): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  if (e.codeLayout === 'releases' && !e.releases)
    problems.push({
      path: 'releases',
      message: "codeLayout 'releases' needs releases.repository (where the app's git repository is)",
    });
  if (e.writes.stopAt === 'database')
    e.checks.forEach((c, i) => {
      if (c.method !== 'GET')
        problems.push({
          path: `checks.${i}`,
          message:
            `${c.method} ${c.path} (${c.name}) would write while writes are paused at the database ` +
            `(writes.stopAt 'database': the app's role is read-only until verification passed); keep GET ` +
            `checks, or pause at the app with a bypass`,
        });
    });
  if (e.codeLayout === 'releases' && !e.appDir.endsWith('/current'))
    problems.push({
      path: 'appDir',
      message: "with codeLayout 'releases', appDir is the `current` symlink, e.g. /srv/app/current",
    });
  return problems;
}

export const workerConfigSchema = z
  .object({
    /** Host tools; pgBinDir defaults to `pg_config --bindir`, then PATH. */
    tools: z.object({ pgBinDir: absolutePath.optional() }).strict().default({}),
    /** `apps.<app>.<environment>`: each app this worker deploys, and how, per environment. */
    apps: z.record(slug, z.record(slug, environmentConfigSchema)),
  })
  .strict();
export type WorkerConfig = z.output<typeof workerConfigSchema>;

/** The resolved configuration of one deployment target; contains names of secrets, never values. */
export type TargetConfig = EnvironmentConfig & { app: string; environment: string; pgBinDir?: string };

/** `apps.farm-chat.production.backup.dir: an absolute path` — every problem, each naming its field. */
export function describeIssues(error: z.ZodError, root: string): string {
  return error.issues
    .map((issue) => {
      const path = [root, ...issue.path.map(String)].filter(Boolean).join('.');
      const keys = issue.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
      return `${path || '(root)'}: ${issue.message}${keys}`;
    })
    .join('; ');
}
