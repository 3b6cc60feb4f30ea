import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { msToTs } from '@temporalio/common/lib/time.js';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { appctlArgs, type FarmChatProduction } from '../../scripts/lib/farmChat.js';
import { webArgs, type PrismaHerokuProduction } from '../../scripts/lib/prismaHeroku.js';
import { freePort } from '../../scripts/lib/ports.js';
import { readConfigFile } from '../../src/config/load.js';
import { workerConfigSchema } from '../../src/config/schema.js';
import { CLI, eventually, runCli } from '../helpers/cli.js';
import {
  createAppScenario,
  FARM_CHAT_APP,
  PRISMA_HEROKU_APP,
  type SampleApp,
  type Scenario,
} from '../helpers/scenario.js';
import { asSuperuser } from '../helpers/superuser.js';

/**
 * `safe-deploy init` on a real production copy of the sample app that is not ours (prisma-heroku,
 * running), then `safe-deploy doctor` on what it wrote, then a real deployment with that config.
 * Init is given only what it cannot know from the app's files: the restart command, the backup
 * folder, the env file (the app's own, outside its repository), and the environment's name.
 */
function initWritten<P extends { appDir: string; envFile: string; baseUrl: string; databaseUrl: string }>(
  app: SampleApp<P>,
  restart: (prod: P) => string[],
): SampleApp<P> {
  return {
    ...app,
    writeWorkerConfig(path, prod, o) {
      execFileSync(process.execPath, [
        CLI,
        'init',
        prod.appDir,
        '--config',
        path,
        '--environment',
        o.environment,
        '--env-file',
        prod.envFile,
        '--backup-dir',
        o.backupDir,
        '--restart',
        JSON.stringify(restart(prod)),
      ]);
    },
  };
}
const INIT_WRITTEN = initWritten(PRISMA_HEROKU_APP, (prod) => webArgs(prod, 'restart'));

let s: Scenario<PrismaHerokuProduction>;
let initText: string;

/** A copy of the init-written config with `change` applied to the environment, as JSON beside it. */
function variant(name: string, change: (env: Record<string, unknown>) => void): string {
  const raw = readConfigFile(s.configPath) as { apps: Record<string, Record<string, Record<string, unknown>>> };
  change(raw.apps['prisma-heroku']![s.environment]!);
  const path = join(s.root, `doctor-${name}.json`);
  writeFileSync(path, JSON.stringify(raw, null, 2), { mode: 0o600 });
  return path;
}

/** An env file like the app's, its DATABASE_URL replaced. */
function envFileWith(name: string, databaseUrl: string): string {
  const path = join(s.root, `${name}.env`);
  writeFileSync(path, `DATABASE_URL=${databaseUrl}\n`, { mode: 0o600 });
  return path;
}

const doctor = (config: string, ...extra: string[]) => runCli(['doctor', '--config', config, ...extra]);
const failLines = (stdout: string) => stdout.split('\n').filter((l) => l.startsWith('FAIL '));

beforeAll(async () => {
  s = await createAppScenario(INIT_WRITTEN, 'init-doctor', { configFile: 'safe-deploy.config.yaml' });
  initText = readFileSync(s.configPath, 'utf8');
}, 600_000);
afterAll(async () => s?.close());

describe('safe-deploy init on a running prisma-heroku', () => {
  it('writes a commented YAML config, private, that the worker schema accepts with what init found', () => {
    expect(statSync(s.configPath).mode & 0o777).toBe(0o600);
    expect(initText).toMatch(/^# safe-deploy worker config for prisma-heroku/);
    expect(initText).toContain('# It must RETURN once the new release is started');
    const parsed = workerConfigSchema.parse(readConfigFile(s.configPath));
    const env = parsed.apps['prisma-heroku']![s.environment]!;
    expect(env).toMatchObject({
      appDir: s.prod.appDir,
      database: { urlEnv: 'DATABASE_URL' },
      envFile: s.prod.envFile,
      baseUrl: s.prod.baseUrl, // PORT from the env file
      migrationsDir: 'prisma/migrations', // prisma.config.ts migrations.path
      writes: { policy: 'detect' },
      rehearsal: { startPrevious: { command: ['node', 'src/index.js'], portEnv: 'PORT' } }, // Procfile → npm start → script
      commands: { build: [['npm', 'run', 'build']], restart: webArgs(s.prod, 'restart') },
    });
    // The app was running: /health, /healthz, … answered 404; its own /api answered 200.
    expect(env.health.path).toBe('/api');
    expect(initText).toContain('# answered 200 at');
  });

  it('never overwrites: a second init on the same file is refused and the file is unchanged', async () => {
    const again = await runCli(['init', s.prod.appDir, '--config', s.configPath]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('never overwrites');
    expect(readFileSync(s.configPath, 'utf8')).toBe(initText);
  });
});

describe('safe-deploy doctor', () => {
  it('says ok to every check of the init-written config on this host', async () => {
    const r = await doctor(s.configPath);
    expect(failLines(r.stdout)).toEqual([]);
    expect(r.code).toBe(0);
    for (const check of [
      'config',
      'database reachable',
      'role may create databases',
      'role owns the database',
      'command commands.migrateDeploy',
      'command commands.restart',
      'pg_dump',
      'healthy now',
      'temporal server',
      'search attributes',
    ])
      expect(r.stdout).toMatch(new RegExp(`^ok ${check}: `, 'm'));
    expect(r.stdout).not.toContain(s.dbPassword);
  });

  it('--restart runs the restart command and waits until the app is healthy again', async () => {
    const r = await doctor(s.configPath, '--restart', '--json');
    const checks = r.json<{ ok: boolean; checks: { ok: boolean; check: string }[] }>();
    expect(checks.ok).toBe(true);
    expect(checks.checks.map((c) => c.check)).toEqual(
      expect.arrayContaining(['restart returns', 'healthy after restart']),
    );
  });

  it('FAIL: a role without CREATEDB (nor ownership), with the SQL that fixes it', async () => {
    const role = `no_createdb_${randomBytes(3).toString('hex')}`;
    const password = `pw-${randomBytes(9).toString('base64url')}`;
    await asSuperuser(`CREATE ROLE "${role}" LOGIN PASSWORD '${password}'`);
    const { host, port } = inject('pg');
    const url = `postgresql://${role}:${password}@${host}:${port}/${encodeURIComponent(s.database)}`;
    const config = variant('no-createdb', (env) => (env.envFile = envFileWith('no-createdb', url)));
    const r = await doctor(config);
    expect(r.code).toBe(1);
    expect(failLines(r.stdout)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^FAIL role may create databases: ${role} has no CREATEDB, which the rehearsal .* — fix: as a superuser: ALTER ROLE "${role}" CREATEDB$`,
        ),
      ),
      expect.stringMatching(/^FAIL role owns the database: .* — fix: as a superuser: ALTER DATABASE ".*" OWNER TO /),
    ]);
    expect(r.stdout).not.toContain(password);
  });

  it('FAIL: a command that is not on PATH, and a maintenance command that does not exist', async () => {
    const config = variant('missing-command', (env) => {
      (env.commands as Record<string, unknown>).restart = ['no-such-restarter', 'web'];
      env.writes = {
        policy: 'stop',
        stop: ['/opt/nowhere/maintenance', 'on'],
        resume: ['/opt/nowhere/maintenance', 'off'],
      };
    });
    const r = await doctor(config);
    expect(r.code).toBe(1);
    expect(failLines(r.stdout)).toEqual([
      "FAIL command commands.restart: no-such-restarter is not on PATH — fix: install no-such-restarter for the worker's user, or give commands.restart its absolute path",
      `FAIL command writes.stop: /opt/nowhere/maintenance is not an executable file (from ${s.prod.appDir}) — fix: create it or chmod +x it, or correct writes.stop`,
      `FAIL command writes.resume: /opt/nowhere/maintenance is not an executable file (from ${s.prod.appDir}) — fix: create it or chmod +x it, or correct writes.resume`,
    ]);
  });

  it('FAIL: a database nobody answers for', async () => {
    const port = await freePort();
    const config = variant('unreachable', (env) => {
      env.envFile = envFileWith('unreachable', `postgresql://nobody:secret-pw@127.0.0.1:${port}/gone`);
    });
    const r = await doctor(config, '--json');
    expect(r.code).toBe(1);
    const { checks } = r.json<{ checks: { ok: boolean; check: string; detail: string; fix: string }[] }>();
    expect(checks.filter((c) => !c.ok)).toEqual([
      {
        ok: false,
        check: 'database reachable',
        detail: expect.stringMatching(`^cannot query gone on 127.0.0.1:${port} as nobody: .*ECONNREFUSED`),
        fix: 'start PostgreSQL or correct DATABASE_URL',
      },
    ]);
    expect(r.stdout).not.toContain('secret-pw');
  });

  it('FAIL: a Temporal namespace without the search attributes, with the command that adds them', async () => {
    const namespace = `no-attributes-${randomBytes(3).toString('hex')}`;
    await s.client.connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    const r = await eventually('the new namespace', async () => {
      const run = await doctor(s.configPath, '--namespace', namespace);
      return run.stdout.includes('ok temporal server') ? run : undefined;
    });
    expect(r.code).toBe(1);
    expect(failLines(r.stdout)).toEqual([
      `FAIL search attributes: namespace ${namespace} lacks DeployApp, DeployEnvironment, DeployRef, DeployOutcome — fix: ` +
        `temporal operator search-attribute create --namespace ${namespace} --name DeployApp ` +
        '--name DeployEnvironment --name DeployRef --name DeployOutcome --type Keyword',
    ]);
  });
});

describe('a deployment with the init-written config', () => {
  it('deploys v2 of prisma-heroku: outcome deployed, the new column there, the app serving', async () => {
    const { report } = await s.deploy(s.request('v2'));
    expect(report.outcome).toBe('deployed');
    expect(report.migrations?.applied).toEqual(['20260203000000_post_view_count']);
    const columns = await s.query(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'Post' AND column_name = 'viewCount'`,
    );
    expect(columns).toHaveLength(1);
    expect(await (await fetch(`${s.prod.baseUrl}/api`)).json()).toEqual({ up: true });
  }, 600_000);
});

describe('farm-chat with an init-written config', () => {
  let farm: Scenario<FarmChatProduction>;
  beforeAll(async () => {
    farm = await createAppScenario(
      initWritten(FARM_CHAT_APP, (prod) => appctlArgs(prod, 'restart')),
      'init-farm',
      { configFile: 'safe-deploy.config.yaml' },
    );
  }, 600_000);
  afterAll(async () => farm?.close());

  it('doctor says ok to every check, and v2 deploys (its /health found by the probe)', async () => {
    const env = workerConfigSchema.parse(readConfigFile(farm.configPath)).apps['farm-chat']![farm.environment]!;
    expect(env.health.path).toBe('/health');
    const r = await doctor(farm.configPath);
    expect(failLines(r.stdout)).toEqual([]);
    expect(r.code).toBe(0);
    const { report } = await farm.deploy(farm.request('v2'));
    expect(report.outcome).toBe('deployed');
    expect(await farm.query(`SELECT to_regclass('satshot_tokens') IS NOT NULL AS present`)).toEqual([
      { present: true },
    ]);
  }, 600_000);
});
