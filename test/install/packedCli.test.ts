import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

/**
 * The CLI as a user gets it: `npm pack` of the built project, then `npm install -g` of the tarball
 * into a private prefix (its dependencies from the npm cache, else the registry), and `npx` of the
 * tarball; every command runs from a folder that has nothing of the project.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

let tmp: string;
let tarball: string;
let bin: string;
let elsewhere: string;
let installed: string;

const npm = (args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) =>
  execFileSync('npm', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

beforeAll(() => {
  if (!existsSync(join(root, 'dist/src/workflow-bundle.js'))) throw new Error('run npm run build first');
  tmp = mkdtempSync(join(tmpdir(), 'safe-deploy-packed-'));
  // --ignore-scripts: prepack would rebuild dist under the other test files that use it; `npm test` built it.
  const packed = JSON.parse(npm(['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], root)) as {
    filename: string;
  }[];
  tarball = join(tmp, packed[0]!.filename);
  const prefix = join(tmp, 'prefix');
  npm(['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], tmp);
  bin = join(prefix, 'bin', 'safe-deploy');
  installed = join(prefix, 'lib', 'node_modules', 'safe-deploy');
  elsewhere = mkdtempSync(join(tmpdir(), 'safe-deploy-elsewhere-'));
}, 600_000);
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  if (elsewhere) rmSync(elsewhere, { recursive: true, force: true });
});

const cli = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
  spawnSync(bin, args, { cwd: elsewhere, env, encoding: 'utf8' });

describe('the packed tarball', () => {
  it('holds the built CLI, worker and workflow bundle, and neither tests, scripts nor sources', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n');
    expect(files).toEqual(
      expect.arrayContaining([
        'package/package.json',
        'package/dist/src/client.js',
        'package/dist/src/worker.js',
        'package/dist/src/workflow-bundle.js',
        'package/dist/src/exec/reaper.cjs',
        'package/dist/src/activities/parserProcessEntry.js',
      ]),
    );
    const outside = files.filter((f) => !f.startsWith('package/dist/src/'));
    expect(outside.sort()).toEqual(['package/README.md', 'package/package.json']);
    expect(files.filter((f) => f.endsWith('.map') || f.endsWith('.ts'))).toEqual([]);
  });
});

describe('npm install -g of the tarball, run from another folder', () => {
  it('installs a safe-deploy with a node shebang', () => {
    expect(readFileSync(realpathSync(bin), 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('--version prints the package version', () => {
    const r = cli(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('--help answers, listing init and doctor, in at most 0.5 s of CPU', () => {
    const r = cli(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^\s+init \[options\] \[appDir\]/m);
    expect(r.stdout).toMatch(/^\s+doctor \[options\]/m);
    // CPU rather than wall time: the test machine is shared (a load of 20 on 2 cores makes `node -e 0` 0.4 s).
    const cpuMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const timed = spawnSync('/usr/bin/time', ['-f', '%U %S', bin, '--help'], { cwd: elsewhere, encoding: 'utf8' });
      const [user, sys] = timed.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
      cpuMs.push((user! + sys!) * 1000);
    }
    const median = cpuMs.sort((a, b) => a - b)[2]!;
    console.log(`safe-deploy --help: median ${median} ms of CPU (${cpuMs.join(', ')})`);
    expect(median).toBeLessThanOrEqual(500);
  });

  it("lint reads a sample app's migrations (its parser's WebAssembly found inside the install)", () => {
    const migrations = join(elsewhere, 'migrations');
    cpSync(join(root, 'examples/prisma-heroku/base/prisma/migrations'), migrations, { recursive: true });
    const r = cli(['lint', migrations]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('20210310152103_init  additive');
    expect(r.stdout).toContain('1 migration: 0 destructive, 0 risky, 1 additive, 0 invalid');
  });

  it('the worker uses the workflow bundle inside the install, whatever the folder it starts in', async () => {
    const found = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(join(installed, 'dist/src/worker.js'))}); console.log(m.prebuiltWorkflowBundle())`,
      ],
      { cwd: elsewhere, encoding: 'utf8' },
    );
    expect(found.trim()).toBe(join(realpathSync(installed), 'dist/src/workflow-bundle.js'));
    // And `safe-deploy worker` starts against the tests' Temporal server with it.
    const config = join(elsewhere, 'safe-deploy.config.json');
    execFileSync('sh', ['-c', `printf '{"apps":{}}' > ${JSON.stringify(config)}`]);
    const worker = spawn(bin, ['worker', '--task-queue', `packed-${process.pid}`], {
      cwd: elsewhere,
      env: { ...process.env, TEMPORAL_ADDRESS: inject('temporalAddress') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    worker.stdout.on('data', (d: Buffer) => (output += d));
    worker.stderr.on('data', (d: Buffer) => (output += d));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the worker did not start:\n${output}`)), 60_000);
        worker.stdout.on('data', () => {
          if (output.includes('safe-deploy worker: task queue')) {
            clearTimeout(timer);
            resolve();
          }
        });
        worker.once('exit', (code) => reject(new Error(`the worker exited ${code}:\n${output}`)));
      });
      expect(output).toContain(`config ${config}`);
    } finally {
      worker.kill('SIGINT');
      await new Promise((r) => worker.once('exit', r));
    }
  }, 90_000);
});

describe('npx of the tarball', () => {
  it('runs safe-deploy from another folder', () => {
    // npx installs into <cache>/_npx: a cache of our own, whose package store is the real one (offline-first).
    const cache = join(tmp, 'npm-cache');
    mkdirSync(cache);
    const realCache = join(npm(['config', 'get', 'cache'], elsewhere).trim(), '_cacache');
    if (existsSync(realCache)) symlinkSync(realCache, join(cache, '_cacache'));
    const r = spawnSync('npx', ['--yes', '--prefer-offline', `file:${tarball}`, '--version'], {
      cwd: elsewhere,
      env: { ...process.env, npm_config_cache: cache },
      encoding: 'utf8',
    });
    expect(r.stderr).not.toMatch(/ERR!/);
    expect(r.stdout.trim()).toBe(version);
  }, 300_000);
});
