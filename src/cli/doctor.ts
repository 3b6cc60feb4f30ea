import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { durationMs } from '../shared/duration.js';
import pg from 'pg';
import { lookupEnv } from '../activities/activityDeps.js';
import { appUrl, waitHealthy } from '../activities/http.js';
import { appCommand } from '../commands/app.js';
import { parseDatabaseUrl } from '../commands/pg.js';
import { defaultConfigPath, readConfigFile } from '../config/load.js';
import {
  describeIssues,
  environmentProblems,
  workerConfigSchema,
  type EnvironmentConfig,
  type WorkerConfig,
} from '../config/schema.js';
import { run } from '../exec/run.js';
import { DEPLOY_APP, DEPLOY_ENVIRONMENT, DEPLOY_OUTCOME, DEPLOY_REF } from '../shared/searchAttributes.js';
import { connectClient, EXIT, resolveConnection, type GlobalOptions } from './context.js';

/** One line of `safe-deploy doctor`: `ok <check>: <detail>` or `FAIL <check>: <detail> — fix: <fix>`. */
export interface DoctorCheck {
  ok: boolean;
  check: string;
  detail: string;
  fix?: string;
}

export interface DoctorOptions {
  config?: string;
  app?: string;
  env?: string;
  /** Also run the restart command and wait until healthy: the app restarts. */
  restart?: boolean;
}

export const doctorLine = (c: DoctorCheck) =>
  c.ok ? `ok ${c.check}: ${c.detail}` : `FAIL ${c.check}: ${c.detail} — fix: ${c.fix ?? 'see the detail'}`;

const ok = (check: string, detail: string): DoctorCheck => ({ ok: true, check, detail });
const fail = (check: string, detail: string, fix: string): DoctorCheck => ({ ok: false, check, detail, fix });

/** Where `file` of an argv runs from, as the worker's runner finds it (PATH, or a path from the app's folder). */
export function findExecutable(file: string, cwd: string, path = process.env.PATH ?? ''): string | undefined {
  const candidates = file.includes('/')
    ? [isAbsolute(file) ? file : resolve(cwd, file)]
    : path
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, file));
  return candidates.find((c) => {
    try {
      return statSync(c).isFile() && (accessSync(c, constants.X_OK), true);
    } catch {
      return false;
    }
  });
}

/** Every command the config gives, by its field name. */
function configuredCommands(e: EnvironmentConfig): [string, readonly string[]][] {
  const commands: [string, readonly string[]][] = [
    ['commands.install', e.commands.install],
    ...e.commands.build.map((b, i): [string, string[]] => [`commands.build[${i}]`, b]),
    ['commands.migrateDeploy', e.commands.migrateDeploy],
    ['commands.migrateStatus', e.commands.migrateStatus],
    ['commands.migrateReset', e.commands.migrateReset],
    ...(Array.isArray(e.commands.migrateResolve)
      ? [['commands.migrateResolve', e.commands.migrateResolve] as [string, string[]]]
      : []),
    ['commands.restart', e.commands.restart],
  ];
  if (e.writes.stop) commands.push(['writes.stop', e.writes.stop]);
  if (e.writes.resume) commands.push(['writes.resume', e.writes.resume]);
  if (e.rehearsal.startPrevious) commands.push(['rehearsal.startPrevious.command', e.rehearsal.startPrevious.command]);
  if (e.monitor.command) commands.push(['monitor.command', e.monitor.command]);
  return commands;
}

/** `npx --no-install prisma …` runs the app's own bin: the binary must be in appDir's node_modules/.bin. */
function npxBin(argv: readonly string[]): string | undefined {
  if (argv[0] !== 'npx') return undefined;
  return argv.slice(1).find((a) => !a.startsWith('-'));
}

function checkCommands(e: EnvironmentConfig, path: string): DoctorCheck[] {
  const results: DoctorCheck[] = [];
  for (const [field, argv] of configuredCommands(e)) {
    const file = argv[0]!;
    const found = findExecutable(file, e.appDir, path);
    if (!found) {
      results.push(
        fail(
          `command ${field}`,
          `${file} is not ${file.includes('/') ? `an executable file (from ${e.appDir})` : 'on PATH'}`,
          file.includes('/')
            ? `create it or chmod +x it, or correct ${field}`
            : `install ${file} for the worker's user, or give ${field} its absolute path`,
        ),
      );
      continue;
    }
    const bin = npxBin(argv);
    if (bin && !existsSync(join(e.appDir, 'node_modules', '.bin', bin))) {
      results.push(
        fail(
          `command ${field}`,
          `npx runs ${bin} from ${e.appDir}/node_modules/.bin, which has none`,
          `run the install command in ${e.appDir} (${e.commands.install.join(' ')}), or add ${bin} to the ` +
            `app's dependencies`,
        ),
      );
      continue;
    }
    results.push(ok(`command ${field}`, `${found}${bin ? ` (${bin} in node_modules/.bin)` : ''}`));
  }
  for (const tool of ['git', 'npm']) {
    const found = findExecutable(tool, e.appDir, path);
    results.push(
      found
        ? ok(`tool ${tool}`, found)
        : fail(`tool ${tool}`, `${tool} is not on PATH`, `install ${tool} on this host`),
    );
  }
  return results;
}

function checkFiles(e: EnvironmentConfig): DoctorCheck[] {
  const results: DoctorCheck[] = [];
  const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();
  if (!isDir(e.appDir))
    return [fail('app directory', `${e.appDir} is not a directory`, 'clone the app there, or correct appDir')];
  results.push(
    e.codeLayout === 'in-place' && !existsSync(join(e.appDir, '.git'))
      ? fail('app directory', `${e.appDir} is not a git working copy`, `clone the app's repository into ${e.appDir}`)
      : ok('app directory', e.appDir),
  );
  const lock = ['package-lock.json', 'npm-shrinkwrap.json', 'pnpm-lock.yaml', 'yarn.lock'].find((f) =>
    existsSync(join(e.appDir, f)),
  );
  results.push(
    lock
      ? ok('lockfile', join(e.appDir, lock))
      : fail('lockfile', `no lockfile in ${e.appDir}`, 'commit package-lock.json: the install runs npm ci'),
  );
  const migrations = join(e.appDir, e.migrationsDir);
  results.push(
    isDir(migrations)
      ? ok('migrations folder', migrations)
      : fail('migrations folder', `${migrations} is not a directory`, 'correct migrationsDir (relative to appDir)'),
  );
  if (e.envFile) {
    let readable = false;
    try {
      accessSync(e.envFile, constants.R_OK);
      readable = statSync(e.envFile).isFile();
    } catch {
      /* reported below */
    }
    results.push(
      readable
        ? ok('env file', e.envFile)
        : fail('env file', `${e.envFile} is not a readable file`, 'create it (mode 0600) or correct envFile'),
    );
  }
  // The backup folder is made (0700) by the first deployment: its nearest existing parent must be writable.
  let dir = e.backup.dir;
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  let writable = false;
  try {
    accessSync(dir, constants.W_OK);
    writable = statSync(dir).isDirectory();
  } catch {
    /* reported below */
  }
  results.push(
    writable
      ? ok('backup folder', dir === e.backup.dir ? `${dir} is writable` : `${e.backup.dir} will be made in ${dir}`)
      : fail(
          'backup folder',
          `${dir} is not a writable directory`,
          `make ${e.backup.dir} writable for the worker's user`,
        ),
  );
  return results;
}

async function pgToolMajor(binDir: string | undefined): Promise<number | undefined> {
  let dir = binDir;
  if (!dir)
    dir = await run({ file: 'pg_config', args: ['--bindir'], timeoutMs: 10_000 }).then(
      (r) => r.stdout.trim() || undefined,
      () => undefined,
    );
  const file = dir ? join(dir, 'pg_dump') : 'pg_dump';
  try {
    const out = (await run({ file, args: ['--version'], timeoutMs: 10_000 })).stdout;
    return Number(/(\d+)(?:\.\d+)?/.exec(out)?.[1] ?? NaN);
  } catch {
    return undefined;
  }
}

async function checkDatabase(e: EnvironmentConfig, pgBinDir: string | undefined, configPath: string) {
  const results: DoctorCheck[] = [];
  const found = lookupEnv({ configPath, env: process.env }, e.envFile, e.database.urlEnv);
  if (!found)
    return [
      fail(
        'database URL',
        `${e.database.urlEnv} is not set${e.envFile ? ` in ${e.envFile} nor` : ''} in this environment`,
        `set ${e.database.urlEnv} in ${e.envFile ?? "the worker's environment"}`,
      ),
    ];
  let target;
  try {
    target = parseDatabaseUrl(found.value);
  } catch (err) {
    return [
      fail(
        'database URL',
        `${e.database.urlEnv} is not a usable PostgreSQL URL (${(err as Error).message})`,
        `set it to postgres://user:password@host:port/database`,
      ),
    ];
  }
  results.push(ok('database URL', `${e.database.urlEnv} from the ${found.source}`));
  const where = `${target.database} on ${target.host}:${target.port} as ${target.user}`;
  const client = new pg.Client({ connectionString: found.value, connectionTimeoutMillis: 5_000 });
  client.on('error', () => {});
  let facts: { version: string; createdb: boolean; owner: boolean; owner_name: string };
  try {
    await client.connect();
    facts = (
      await client.query(
        `SELECT current_setting('server_version') AS version,
                (SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user) AS createdb,
                pg_has_role(current_user, d.datdba, 'MEMBER') AS owner,
                pg_get_userbyid(d.datdba) AS owner_name
           FROM pg_database d WHERE d.datname = current_database()`,
      )
    ).rows[0];
  } catch (err) {
    // The message never carries the URL: pg reports host, port, user and what failed.
    return [
      ...results,
      fail(
        'database reachable',
        `cannot query ${where}: ${(err as Error).message}`,
        `start PostgreSQL or correct ${e.database.urlEnv}`,
      ),
    ];
  } finally {
    await client.end().catch(() => {});
  }
  const serverMajor = Number(/(\d+)/.exec(facts.version)?.[1] ?? NaN);
  results.push(ok('database reachable', `${where}, PostgreSQL ${facts.version}`));
  const dumpMajor = await pgToolMajor(pgBinDir);
  results.push(
    dumpMajor === undefined
      ? fail('pg_dump', 'pg_dump does not run', 'install the PostgreSQL client tools, or set tools.pgBinDir')
      : dumpMajor >= serverMajor
        ? ok('pg_dump', `version ${dumpMajor} for a PostgreSQL ${serverMajor} server`)
        : fail(
            'pg_dump',
            `pg_dump ${dumpMajor} cannot dump a PostgreSQL ${serverMajor} server`,
            `install the PostgreSQL ${serverMajor} client tools and set tools.pgBinDir`,
          ),
  );
  const uses = [
    ...(e.rehearsal.enabled ? ['the rehearsal (a scratch copy)'] : []),
    ...(e.backup.method === 'snapshot' ? ['the snapshot (a copy in the cluster)'] : []),
    'a rollback (restores into a new database)',
  ].join(', ');
  const quotedRole = `"${target.user.replaceAll('"', '""')}"`;
  const quotedDb = `"${target.database.replaceAll('"', '""')}"`;
  results.push(
    facts.createdb
      ? ok('role may create databases', `${target.user} has CREATEDB (${uses})`)
      : fail(
          'role may create databases',
          `${target.user} has no CREATEDB, which ${uses} need`,
          `as a superuser: ALTER ROLE ${quotedRole} CREATEDB`,
        ),
  );
  results.push(
    facts.owner
      ? ok('role owns the database', `${target.user} owns ${target.database} (a rollback renames it)`)
      : fail(
          'role owns the database',
          `${target.database} is owned by ${facts.owner_name}, not ${target.user}: a rollback cannot rename it`,
          `as a superuser: ALTER DATABASE ${quotedDb} OWNER TO ${quotedRole}`,
        ),
  );
  return results;
}

async function checkHealth(e: EnvironmentConfig, timeoutMs: number, what: string): Promise<DoctorCheck> {
  const url = appUrl(e.baseUrl, e.health.path, 'health.path', 'verify').toString();
  const health = await waitHealthy(url, timeoutMs);
  return health.ok
    ? ok(what, `${url} answered 200 (${health.afterMs} ms)`)
    : fail(
        what,
        `${url} did not answer 200 (last: ${health.last.replace(/\s+/g, ' ').slice(0, 120)})`,
        'start the app, or correct baseUrl and health.path (a GET that answers 200 when the app works)',
      );
}

async function checkRestart(e: EnvironmentConfig): Promise<DoctorCheck[]> {
  const cmd = appCommand(e.commands.restart, {
    cwd: e.appDir,
    commandEnv: e.commandEnv,
    timeoutMs: durationMs(e.commandTimeouts.restart),
  });
  const started = Date.now();
  try {
    await run(cmd);
  } catch (err) {
    return [
      fail(
        'restart returns',
        `${e.commands.restart.join(' ')}: ${(err as Error).message.split('\n')[0]}`,
        `make commands.restart return once the app is started (within ${String(e.commandTimeouts.restart)})`,
      ),
    ];
  }
  return [
    ok('restart returns', `${e.commands.restart.join(' ')} returned in ${Date.now() - started} ms`),
    await checkHealth(e, durationMs(e.health.timeout), 'healthy after restart'),
  ];
}

const SEARCH_ATTRIBUTES = [DEPLOY_APP, DEPLOY_ENVIRONMENT, DEPLOY_REF, DEPLOY_OUTCOME];

async function checkTemporal(g: GlobalOptions): Promise<DoctorCheck[]> {
  let connected;
  try {
    connected = await Promise.race([
      connectClient(g),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no answer within 10 s')), 10_000).unref()),
    ]);
  } catch (err) {
    return [
      fail(
        'temporal server',
        `cannot connect: ${(err as Error).message.split('\n')[0]}`,
        'start a Temporal server (temporal server start-dev) or set TEMPORAL_ADDRESS / a temporal.toml profile',
      ),
    ];
  }
  const { client, close } = connected;
  const namespace = client.options.namespace;
  try {
    let custom: Record<string, unknown>;
    try {
      custom = (await client.connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
    } catch (err) {
      return [
        fail(
          'temporal server',
          `namespace ${namespace}: ${(err as Error).message.split('\n')[0]}`,
          `create the namespace (temporal operator namespace create --namespace ${namespace}) or choose another`,
        ),
      ];
    }
    const missing = SEARCH_ATTRIBUTES.filter((sa) => !Object.hasOwn(custom, sa.name));
    const keyword = 2; // INDEXED_VALUE_TYPE_KEYWORD
    const wrongType = SEARCH_ATTRIBUTES.filter(
      (sa) => Object.hasOwn(custom, sa.name) && Number(custom[sa.name]) !== keyword,
    );
    return [
      ok(
        'temporal server',
        `${resolveConnection(g).connectionOptions.address ?? 'localhost:7233'}, namespace ${namespace}`,
      ),
      missing.length || wrongType.length
        ? fail(
            'search attributes',
            [
              missing.length ? `namespace ${namespace} lacks ${missing.map((m) => m.name).join(', ')}` : '',
              wrongType.length ? `not Keyword: ${wrongType.map((m) => m.name).join(', ')}` : '',
            ]
              .filter(Boolean)
              .join('; '),
            [
              missing.length
                ? `temporal operator search-attribute create --namespace ${namespace} ` +
                  `${missing.map((m) => `--name ${m.name}`).join(' ')} --type Keyword`
                : '',
              wrongType.length
                ? `remove ${wrongType.map((m) => m.name).join(', ')} (temporal operator search-attribute remove) ` +
                  'and create them again as Keyword'
                : '',
            ]
              .filter(Boolean)
              .join('; then '),
          )
        : ok('search attributes', SEARCH_ATTRIBUTES.map((sa) => sa.name).join(', ')),
    ];
  } finally {
    await close();
  }
}

/** Every check for one app+environment of the config, in the order a deployment needs them. */
async function checkTarget(e: EnvironmentConfig, config: WorkerConfig, o: DoctorOptions, configPath: string) {
  const files = checkFiles(e);
  const path = e.commandEnv.PATH ?? process.env.PATH ?? '';
  const results = [...files, ...checkCommands(e, path), ...(await checkDatabase(e, config.tools.pgBinDir, configPath))];
  results.push(await checkHealth(e, 3_000, 'healthy now'));
  if (o.restart) results.push(...(await checkRestart(e)));
  return results;
}

/**
 * `safe-deploy doctor --config F`: checks a worker config against this
 * host and the Temporal server; changes nothing (unless --restart).
 */
export async function runDoctor(g: GlobalOptions, o: DoctorOptions): Promise<number> {
  const configPath = o.config ? resolve(o.config) : defaultConfigPath();
  const results: DoctorCheck[] = [];
  const print = (checks: DoctorCheck[], prefix = '') => {
    for (const c of checks) {
      const shown = { ...c, check: `${prefix}${c.check}` };
      results.push(shown);
      if (!g.json) console.log(doctorLine(shown));
    }
  };
  let config: WorkerConfig | undefined;
  let raw: unknown;
  try {
    raw = readConfigFile(configPath);
  } catch (err) {
    print([
      fail(
        'config',
        `cannot read ${configPath}: ${(err as Error).message}`,
        'give --config a readable worker config (JSON or YAML)',
      ),
    ]);
  }
  if (raw !== undefined) {
    const parsed = workerConfigSchema.safeParse(raw);
    if (!parsed.success)
      print([fail('config', `${configPath}: ${describeIssues(parsed.error, '')}`, 'correct the named fields')]);
    else config = parsed.data;
  }
  if (config) {
    const targets = Object.entries(config.apps).flatMap(([app, envs]) =>
      Object.entries(envs)
        .filter(([env]) => (!o.app || o.app === app) && (!o.env || o.env === env))
        .map(([env, e]) => ({ app, env, e })),
    );
    if (!targets.length)
      print([fail('config', `no app ${o.app ?? ''} ${o.env ?? ''} in ${configPath}`, 'check --app and --env')]);
    else {
      const problems = targets.flatMap(({ app, env, e }) =>
        environmentProblems(e).map((p) => `apps.${app}.${env}.${p.path}: ${p.message}`),
      );
      print([
        problems.length
          ? fail('config', problems.join('; '), 'correct the named fields')
          : ok('config', `${configPath}: ${targets.map((t) => `${t.app}/${t.env}`).join(', ')}`),
      ]);
    }
    for (const { app, env, e } of targets)
      print(await checkTarget(e, config, o, configPath), targets.length > 1 ? `${app}/${env} ` : '');
    print(await checkTemporal(g));
  }
  if (g.json) console.log(JSON.stringify({ ok: results.every((r) => r.ok), checks: results }, null, 2));
  return results.every((r) => r.ok) ? EXIT.ok : EXIT.failed;
}
