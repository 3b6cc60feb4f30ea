import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, isListening, waitUntil } from '../../scripts/lib/ports.js';
import {
  buildPrismaHerokuOrigin,
  createPrismaHerokuProduction,
  stopPrismaHeroku,
  webArgs,
  type PrismaHerokuProduction,
} from '../../scripts/lib/prismaHeroku.js';
import { asSuperuser } from '../helpers/superuser.js';
import { readmeCommands, temporalCli, withFlag } from '../helpers/temporalCli.js';

/**
 * docs/getting-started.md followed by a new user, command by command and in the guide's order, on
 * prisma-heroku (prisma-examples' Express + Prisma app, not ours), each from an empty folder with the
 * installed `safe-deploy`, up to `outcome: deployed`; the time of every step is printed at the end
 * (the guide's "How long it takes").
 *
 * The commands are read from the guide's own sh blocks. Only what differs on this host is replaced:
 * - paths: the app's folder (/srv/shop), its env file (/etc/shop.env), the backup folder, the config's
 *   folder and file (/etc/safe-deploy/…), the tarball (written into a private folder), and the npm
 *   prefix (`npm install -g` into a private `--prefix`, `--prefer-offline`: dependencies from the cache);
 * - ports: the server's (`--port`, a free one; `TEMPORAL_ADDRESS` for the other commands), its history
 *   file (`--db-file`), and `--headless` (no Web UI port to take);
 * - the app's name (shop → prisma-heroku), its restart command (ops/web.sh restart …) and the tag (v2);
 * - `npm pack --ignore-scripts`: dist is built (`npm run build`), and prepack would rebuild it under the
 *   other test files that use it.
 * Not run: `git clone`, `cd`, `npm ci` — this worktree is the clone, its node_modules installed.
 * The app "runs on a host today": a production copy of prisma-heroku v1 (clone, npm ci, migrated,
 * running under ops/web.sh, seeded) is made before the first command, outside the guide.
 */
const GUIDE = 'docs/getting-started.md';
const guide = (heading: string) => readmeCommands(heading, GUIDE);
const root = fileURLToPath(new URL('../..', import.meta.url));
const APP = 'prisma-heroku';

let tmp: string;
let cwd: string;
let prod: PrismaHerokuProduction | undefined;
let bin: string;
let temporalPort: number;
let server: ChildProcess | undefined;
let worker: ChildProcess | undefined;
const output = new Map<ChildProcess, string>();
const timings: { step: string; ms: number }[] = [];

/** The environment every command gets: the user's, the server's address, the Temporal CLI it needs. */
const userEnv = (): NodeJS.ProcessEnv => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SAFE_DEPLOY_'))),
  TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
  TEMPORAL_NAMESPACE: 'default',
  TEMPORAL_CLI: temporalCli(),
  USER: process.env.USER ?? 'tester',
  NO_COLOR: '1',
});

/** Leading `NAME=value` words (as sh reads them) split off the argv. */
function assignments(argv: string[]): { env: Record<string, string>; argv: string[] } {
  const env: Record<string, string> = {};
  let i = 0;
  for (; i < argv.length && /^[A-Z_][A-Z0-9_]*=/.test(argv[i]!); i++) {
    const at = argv[i]!.indexOf('=');
    env[argv[i]!.slice(0, at)] = argv[i]!.slice(at + 1);
  }
  return { env, argv: argv.slice(i) };
}

/** argv with the words after `flag`, up to the next `--option`, replaced by `words`. */
function withWords(argv: string[], flag: string, words: string[]): string[] {
  const i = argv.indexOf(flag);
  if (i < 0) throw new Error(`${argv.join(' ')} has no ${flag}`);
  let end = i + 1;
  while (end < argv.length && !argv[end]!.startsWith('--')) end++;
  if (end === i + 1) throw new Error(`${argv.join(' ')} has no value after ${flag}`);
  return [...argv.slice(0, i + 1), ...words, ...argv.slice(end)];
}

const executable = (command: string) => (command === 'safe-deploy' ? bin : command);

/** Runs one command to its end from `dir` (default: the empty folder), timed as `step`. */
function run(
  step: string,
  argv: string[],
  o: { dir?: string; env?: Record<string, string> } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(executable(argv[0]!), argv.slice(1), {
      cwd: o.dir ?? cwd,
      env: { ...userEnv(), ...o.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => {
      timings.push({ step, ms: Date.now() - started });
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts a long-running command in a process group of its own (so its children stop with it). */
function background(argv: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(executable(argv[0]!), argv.slice(1), {
    cwd,
    env: { ...userEnv(), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  output.set(child, '');
  const keep = (d: Buffer) => output.set(child, output.get(child)! + d);
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  return child;
}

/** SIGTERM to the process group, SIGKILL after 20 s; resolves when the leader has exited. */
async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, s);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

const failure = (what: string, r: { code: number | null; stdout: string; stderr: string }) =>
  `${what} exited ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'safe-deploy-guide-'));
  cwd = mkdtempSync(join(tmpdir(), 'safe-deploy-guide-cwd-'));
  temporalPort = await freePort();
  const suffix = randomBytes(3).toString('hex');
  const role = `blogger_guide_${suffix}`;
  const database = `heroku_blog_guide_${suffix}`;
  const password = `pw-${randomBytes(9).toString('base64url')}`;
  await asSuperuser(`CREATE ROLE "${role}" LOGIN CREATEDB PASSWORD '${password}'`);
  await asSuperuser(`CREATE DATABASE "${database}" OWNER "${role}"`);
  const { host, port } = inject('pg');
  prod = await createPrismaHerokuProduction({
    origin: await buildPrismaHerokuOrigin(join(tmp, 'origin.git')),
    rootDir: join(tmp, 'host'),
    databaseUrl: `postgresql://${role}:${encodeURIComponent(password)}@${host}:${port}/${database}`,
    port: await freePort(),
  });
}, 600_000);

afterAll(async () => {
  await stop(worker);
  await stop(server);
  if (prod) await stopPrismaHeroku(prod).catch(() => undefined);
  if (timings.length) {
    const total = timings.reduce((sum, t) => sum + t.ms, 0);
    const rows = [...timings, { step: 'total, first command to deployed', ms: total }];
    const width = Math.max(...rows.map((t) => t.step.length));
    console.log(
      `getting started on prisma-heroku, per step:\n${rows
        .map((t) => `  ${t.step.padEnd(width)}  ${(t.ms / 1000).toFixed(1).padStart(6)} s`)
        .join('\n')}`,
    );
  }
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  if (cwd) rmSync(cwd, { recursive: true, force: true });
}, 120_000);

describe('the getting-started guide, in order, on prisma-heroku from an empty folder', () => {
  let configPath: string;

  it('1. installs the CLI: npm pack, npm install -g of the tarball, safe-deploy --version', async () => {
    expect(readdirSync(cwd)).toEqual([]);
    const commands = guide('## 1. Install the CLI');
    expect(commands.map((c) => c.slice(0, 2).join(' '))).toEqual([
      'git clone',
      'cd safe-deploy',
      'npm ci',
      'npm pack',
      'npm install',
      'safe-deploy --version',
    ]);
    const [, , , pack, install, version] = commands;

    const packDir = join(tmp, 'pack');
    mkdirSync(packDir);
    const packed = await run('npm pack', [...pack!, '--ignore-scripts', '--pack-destination', packDir], {
      dir: root,
    });
    expect(packed.code, failure('npm pack', packed)).toBe(0);
    const guideTarball = install!.find((w) => w.endsWith('.tgz'))!;
    const tarball = join(packDir, basename(guideTarball)); // the name the guide says
    expect(readdirSync(packDir)).toEqual([basename(guideTarball)]);

    const prefix = join(tmp, 'prefix');
    const installArgv = install!.map((w) => (w === guideTarball ? tarball : w));
    const installed = await run('npm install -g (tarball)', [
      ...installArgv,
      '--prefix',
      prefix,
      '--prefer-offline',
      '--no-audit',
      '--no-fund',
    ]);
    expect(installed.code, failure('npm install -g', installed)).toBe(0);
    bin = join(prefix, 'bin', 'safe-deploy');

    const v = await run('safe-deploy --version', version!);
    expect(v.code, failure('--version', v)).toBe(0);
    const { version: packageVersion } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      version: string;
    };
    expect(v.stdout.trim()).toBe(packageVersion);
  }, 600_000);

  it('2. starts the Temporal server with safe-deploy server', async () => {
    const [command, ...rest] = guide('## 2. A Temporal server');
    expect(rest).toEqual([]);
    expect(command).toEqual(['safe-deploy', 'server']);
    const started = Date.now();
    server = background([
      ...command!,
      '--port',
      String(temporalPort),
      '--db-file',
      join(tmp, 'temporal', 'temporal.db'),
      '--headless',
    ]);
    await waitUntil(
      `safe-deploy server on port ${temporalPort}`,
      async () => {
        if (server!.exitCode !== null) throw new Error(`safe-deploy server exited:\n${output.get(server!)}`);
        return isListening(temporalPort);
      },
      120_000,
    );
    timings.push({ step: 'safe-deploy server (listening)', ms: Date.now() - started });
    expect(output.get(server)).toContain(`history in ${join(tmp, 'temporal', 'temporal.db')}`);
  }, 180_000);

  it('3. init writes the config for the running app', async () => {
    const [mkdir, init, ...rest] = guide('## 3. `safe-deploy init`');
    expect(rest).toEqual([]);
    const guideConfig = init![init!.indexOf('--config') + 1]!;
    expect(mkdir).toEqual(['mkdir', '-p', '-m', '700', dirname(guideConfig)]);
    configPath = join(tmp, 'etc', 'safe-deploy', basename(guideConfig));

    const made = await run('mkdir (the config folder)', [...mkdir!.slice(0, -1), dirname(configPath)]);
    expect(made.code, failure('mkdir', made)).toBe(0);
    expect(init!.slice(0, 2)).toEqual(['safe-deploy', 'init']);
    let argv = [...init!.slice(0, 2), prod!.appDir, ...init!.slice(3)];
    argv = withFlag(argv, '--env-file', prod!.envFile);
    argv = withFlag(argv, '--backup-dir', join(tmp, 'backups'));
    argv = withWords(argv, '--restart', webArgs(prod!, 'restart'));
    argv = withFlag(argv, '--config', configPath);
    const r = await run('safe-deploy init', argv);
    expect(r.code, failure('init', r)).toBe(0);
    expect(readFileSync(configPath, 'utf8')).toMatch(/^# safe-deploy worker config for prisma-heroku \(production\)/);
  }, 120_000);

  it('4. doctor says ok to every check, then --restart restarts the app once', async () => {
    const commands = guide('## 4. `safe-deploy doctor`');
    expect(commands.map((c) => c.slice(0, 2).join(' '))).toEqual(['safe-deploy doctor', 'safe-deploy doctor']);
    for (const [i, command] of commands.entries()) {
      const r = await run(i === 0 ? 'safe-deploy doctor' : 'safe-deploy doctor --restart', [
        ...withFlag(command, '--config', configPath),
      ]);
      expect(r.stdout.split('\n').filter((l) => l.startsWith('FAIL '))).toEqual([]);
      expect(r.code, failure('doctor', r)).toBe(0);
      for (const check of ['database reachable', 'healthy now', 'temporal server', 'search attributes'])
        expect(r.stdout).toMatch(new RegExp(`^ok ${check}: `, 'm'));
      if (i === 1) expect(r.stdout).toMatch(/^ok healthy after restart: /m);
    }
  }, 180_000);

  it('5. starts the worker from SAFE_DEPLOY_CONFIG', async () => {
    const [command, ...rest] = guide('## 5. Start the worker');
    expect(rest).toEqual([]);
    const { env, argv } = assignments(command!);
    expect(Object.keys(env)).toEqual(['SAFE_DEPLOY_CONFIG']);
    expect(argv).toEqual(['safe-deploy', 'worker']);
    const started = Date.now();
    worker = background(argv, { SAFE_DEPLOY_CONFIG: configPath });
    await waitUntil(
      'the worker to poll',
      async () => {
        if (worker!.exitCode !== null) throw new Error(`safe-deploy worker exited:\n${output.get(worker!)}`);
        return output.get(worker!)!.includes('safe-deploy worker: task queue');
      },
      120_000,
    );
    timings.push({ step: 'safe-deploy worker (polling)', ms: Date.now() - started });
    expect(output.get(worker)).toContain(`config ${configPath}`);
  }, 180_000);

  it('6. start --dry-run, then start: outcome deployed, and the app serves v2', async () => {
    const commands = guide('## 6. The first deployment');
    expect(commands.map((c) => c.slice(0, 2).join(' '))).toEqual(['safe-deploy start', 'safe-deploy start']);
    expect(commands[0]).toContain('--dry-run');
    expect(commands[1]).not.toContain('--dry-run');
    expect(commands[1]).toContain('production'); // init's environment, kept as the guide says it
    const v1Views = await fetch(`${prod!.baseUrl}/api/post/1/views`, { method: 'PUT' });
    expect(v1Views.status).toBe(404); // v1 has no view counter

    for (const [i, command] of commands.entries()) {
      const argv = withFlag(withFlag(command, '--app', APP), '--ref', 'v2');
      const r = await run(i === 0 ? 'safe-deploy start --dry-run' : 'safe-deploy start (first deployment)', argv);
      expect(r.code, failure(argv.slice(0, 2).join(' '), r)).toBe(0);
      if (i === 0) {
        // Changed nothing: v1 still runs.
        expect((await fetch(`${prod!.baseUrl}/api/post/1/views`, { method: 'PUT' })).status).toBe(404);
      } else {
        expect(r.stdout.trim().split('\n').at(-1)).toMatch(/ outcome: deployed$/);
      }
    }
    // v2's route (PUT /api/post/:id/views) on v2's column (Post.viewCount, its migration).
    const viewed = await fetch(`${prod!.baseUrl}/api/post/1/views`, { method: 'PUT' });
    expect(viewed.status).toBe(200);
    expect(await viewed.json()).toMatchObject({ id: 1, viewCount: 1 });
    // No command left anything in the folder it ran from.
    expect(readdirSync(cwd)).toEqual([]);
  }, 900_000);
});
