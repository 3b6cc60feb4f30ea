import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfigFile } from '../../src/config/load.js';
import { environmentProblems, workerConfigSchema } from '../../src/config/schema.js';
import { CLI } from '../helpers/cli.js';

/**
 * `safe-deploy init` on app folders that are not running (no server needed): the sample apps'
 * real files, the layouts Prisma allows (package.json prisma.schema, a monorepo package), and
 * folders that must be refused with a clear error and nothing written.
 */
const examples = fileURLToPath(new URL('../../examples', import.meta.url));
let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'safe-deploy-init-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function init(appDir: string, ...args: string[]) {
  const config = join(tmp, `config-${Math.random().toString(36).slice(2)}.yaml`);
  const r = spawnSync(process.execPath, [CLI, 'init', appDir, '--config', config, ...args], {
    cwd: tmp,
    encoding: 'utf8',
  });
  return { ...r, config };
}

/** The config init wrote, through the worker's own loader and schema. */
function environmentOf(config: string) {
  const parsed = workerConfigSchema.parse(readConfigFile(config));
  const [app, envs] = Object.entries(parsed.apps)[0]!;
  const [environment, env] = Object.entries(envs)[0]!;
  expect(environmentProblems(env)).toEqual([]);
  return { app, environment, env };
}

/** A copy of a sample app's base folder, to change. */
function copyOf(sample: string): string {
  const dir = mkdtempSync(join(tmp, `${sample}-`));
  cpSync(join(examples, sample, 'base'), dir, { recursive: true });
  return dir;
}

describe('init on the sample apps, not running', () => {
  it('farm-chat: the health route from its source, the start script, the schema at the default place', () => {
    const dir = copyOf('farm-chat');
    const r = init(dir, '--base-url', 'http://127.0.0.1:9', '--backup-dir', join(tmp, 'b'), '--restart', 'true');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const { app, environment, env } = environmentOf(r.config);
    expect({ app, environment }).toEqual({ app: 'farm-chat', environment: 'production' });
    expect(env).toMatchObject({
      migrationsDir: 'prisma/migrations',
      health: { path: '/health' },
      rehearsal: { startPrevious: { command: ['node', 'src/server.js'] } },
      commands: { install: ['npm', 'ci', '--no-audit', '--no-fund'], restart: ['true'] },
    });
    expect(r.stdout).toContain(
      'health: /health — nothing answered at http://127.0.0.1:9: not probed; the route /health is in the source',
    );
  });

  it('prisma-heroku without flags: says what it guessed (CHECK) and still writes a config the schema accepts', () => {
    const r = init(copyOf('prisma-heroku'));
    expect(r.status).toBe(0);
    const { env } = environmentOf(r.config);
    expect(env.commands.restart).toEqual(['systemctl', 'restart', 'prisma-heroku.service']);
    expect(env.health.path).toBe('/api');
    expect(r.stdout).toMatch(/^check: restart: guessed/m);
    expect(r.stdout).toMatch(/^check: backupDir: proposed/m);
    expect(readFileSync(r.config, 'utf8')).toContain('# CHECK: guessed (init cannot know how this host runs the app)');
  });
});

describe('where Prisma allows the schema to be', () => {
  it("package.json prisma.schema: the migrations beside it, and the app's Prisma CLI told where", () => {
    const dir = copyOf('prisma-heroku');
    rmSync(join(dir, 'prisma.config.ts'));
    mkdirSync(join(dir, 'db'));
    cpSync(join(dir, 'prisma'), join(dir, 'db', 'prisma'), { recursive: true });
    rmSync(join(dir, 'prisma'), { recursive: true });
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ ...pkg, prisma: { schema: 'db/prisma/schema.prisma' } }));
    const r = init(dir, '--restart', 'true');
    expect(r.stderr).toBe('');
    const { env } = environmentOf(r.config);
    expect(env.migrationsDir).toBe('db/prisma/migrations');
    expect(env.commands.migrateDeploy).toEqual([
      'npx',
      '--no-install',
      'prisma',
      'migrate',
      'deploy',
      '--schema',
      'db/prisma/schema.prisma',
    ]);
  });

  it('a monorepo: packages/*/prisma, the lockfile at the root', () => {
    const dir = mkdtempSync(join(tmp, 'monorepo-'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: '@acme/Shop', workspaces: ['packages/*'] }));
    writeFileSync(join(dir, 'package-lock.json'), '{}');
    mkdirSync(join(dir, 'packages', 'web'), { recursive: true });
    writeFileSync(join(dir, 'packages', 'web', 'package.json'), '{"name":"web"}');
    cpSync(join(examples, 'prisma-heroku/base/prisma'), join(dir, 'packages', 'db', 'prisma'), { recursive: true });
    // A link loop among the packages is skipped, not followed.
    symlinkSync('loop', join(dir, 'packages', 'loop'));
    const r = init(dir, '--restart', 'true');
    expect(r.stderr).toBe('');
    const { app, env } = environmentOf(r.config);
    expect(app).toBe('shop');
    expect(env.migrationsDir).toBe('packages/db/prisma/migrations');
    expect(env.commands.migrateStatus).toEqual(
      expect.arrayContaining(['--schema', 'packages/db/prisma/schema.prisma']),
    );
    expect(env.rehearsal.startPrevious).toBeUndefined(); // no start script, no Procfile
  });
});

describe('hostile or unfit app folders: a clear error, nothing written', () => {
  const refused = (dir: string, message: RegExp, ...args: string[]) => {
    const r = init(dir, ...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('nothing was written');
    expect(existsSync(r.config)).toBe(false);
  };

  it('a symlink loop as the app folder', () => {
    const loop = join(tmp, 'loop-a');
    symlinkSync(join(tmp, 'loop-b'), loop);
    symlinkSync(loop, join(tmp, 'loop-b'));
    refused(loop, /is a symlink loop: give init the app's real directory/);
  });

  it('a package.json that is not JSON', () => {
    const dir = copyOf('prisma-heroku');
    writeFileSync(join(dir, 'package.json'), '{ "name": "shop", ');
    refused(dir, /package\.json is not JSON \(.*\): fix it, npm cannot read it either/);
  });

  it('a package.json that is a link to /dev/zero (never read forever)', () => {
    const dir = copyOf('prisma-heroku');
    rmSync(join(dir, 'package.json'));
    symlinkSync('/dev/zero', join(dir, 'package.json'));
    refused(dir, /package\.json .* is not a regular file/);
  });

  it('a package.json that is a FIFO (opening it does not wait for a writer)', () => {
    const dir = copyOf('prisma-heroku');
    rmSync(join(dir, 'package.json'));
    execFileSync('mkfifo', [join(dir, 'package.json')]);
    refused(dir, /package\.json .* is not a regular file/);
  });

  it('no lockfile: npm ci needs one', () => {
    const dir = copyOf('prisma-heroku');
    rmSync(join(dir, 'package-lock.json'));
    refused(dir, /no lockfile in .*npm ci needs one\); run npm install once and commit package-lock\.json/);
  });

  it('no Prisma schema anywhere', () => {
    const dir = mkdtempSync(join(tmp, 'no-prisma-'));
    writeFileSync(join(dir, 'package.json'), '{"name":"x"}');
    writeFileSync(join(dir, 'package-lock.json'), '{}');
    refused(dir, /no Prisma schema in .*pass --schema <path> if it is elsewhere/);
  });
});
