import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { installedPrisma, prismaCommand } from '../../src/activities/prismaCli.js';
import { baseEnv } from '../../src/exec/run.js';

const root = mkdtempSync(join(tmpdir(), 'safe-deploy-prismacli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A Prisma package folder as npm installs it: package.json with its bin, and the bin's file. */
function prismaPackage(
  dir: string,
  pkg: Record<string, unknown> = { name: 'prisma', version: '6.19.3', bin: { prisma: 'build/index.js' } },
): string {
  mkdirSync(join(dir, 'build'), { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
  writeFileSync(join(dir, 'build', 'index.js'), '#!/usr/bin/env node\n');
  return dir;
}
function app(name: string): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe("the app's own Prisma CLI, found in its node_modules only", () => {
  it("finds node_modules/prisma's bin", async () => {
    const dir = app('plain');
    prismaPackage(join(dir, 'node_modules', 'prisma'));
    expect(await installedPrisma(dir)).toEqual({ entry: join(dir, 'node_modules', 'prisma', 'build', 'index.js') });
  });

  it("accepts a node_modules that is a symlink, and pnpm's links inside node_modules", async () => {
    const linked = app('linked-modules');
    const store = prismaPackage(join(root, 'shared-modules', 'prisma'));
    symlinkSync(join(store, '..'), join(linked, 'node_modules'));
    expect(await installedPrisma(linked)).toEqual({
      entry: join(linked, 'node_modules', 'prisma', 'build', 'index.js'),
    });

    const pnpm = app('pnpm');
    prismaPackage(join(pnpm, 'node_modules', '.pnpm', 'prisma@6.19.3', 'node_modules', 'prisma'));
    symlinkSync(join('.pnpm', 'prisma@6.19.3', 'node_modules', 'prisma'), join(pnpm, 'node_modules', 'prisma'));
    expect(await installedPrisma(pnpm)).toEqual({ entry: join(pnpm, 'node_modules', 'prisma', 'build', 'index.js') });
  });

  it("refuses a Prisma that lives outside the app's node_modules (a linked package, a bin linked out)", async () => {
    const linked = app('linked-package');
    mkdirSync(join(linked, 'node_modules'));
    symlinkSync(prismaPackage(join(root, 'elsewhere', 'prisma')), join(linked, 'node_modules', 'prisma'));
    expect(await installedPrisma(linked)).toEqual({});

    const binOut = app('bin-out');
    const pkg = prismaPackage(join(binOut, 'node_modules', 'prisma'));
    rmSync(join(pkg, 'build', 'index.js'));
    writeFileSync(join(root, 'outside.js'), '');
    symlinkSync(join(root, 'outside.js'), join(pkg, 'build', 'index.js'));
    expect(await installedPrisma(binOut)).toEqual({});
  });

  it('finds nothing without node_modules, without prisma, with an unreadable package.json or a missing entry', async () => {
    expect(await installedPrisma(app('empty'))).toEqual({});
    expect(await installedPrisma(join(root, 'no-such-dir'))).toEqual({});
    const broken = app('broken');
    mkdirSync(join(broken, 'node_modules', 'prisma'), { recursive: true });
    writeFileSync(join(broken, 'node_modules', 'prisma', 'package.json'), '{ not json');
    expect(await installedPrisma(broken)).toEqual({});
    const noEntry = app('no-entry');
    rmSync(join(prismaPackage(join(noEntry, 'node_modules', 'prisma')), 'build', 'index.js'));
    expect(await installedPrisma(noEntry)).toEqual({});
    const dirEntry = app('dir-entry');
    prismaPackage(join(dirEntry, 'node_modules', 'prisma'), { name: 'prisma', bin: { prisma: 'build' } });
    expect(await installedPrisma(dirEntry)).toEqual({});
  });
});

describe('prismaCommand', () => {
  const db = { envName: 'DATABASE_URL', url: 'postgresql://u:s3cret@127.0.0.1:5432/app', password: 's3cret' };

  it('starts the installed CLI with this Node, its bins first on PATH, the URL in env only', async () => {
    const dir = app('command');
    prismaPackage(join(dir, 'node_modules', 'prisma'));
    const cmd = await prismaCommand(['npx', '--no-install', 'prisma', 'migrate', 'status'], {
      cwd: dir,
      commandEnv: { CHECKPOINT_DISABLE: '1' },
      database: db,
    });
    expect(cmd).toMatchObject({
      file: process.execPath,
      args: [join(dir, 'node_modules', 'prisma', 'build', 'index.js'), 'migrate', 'status'],
      cwd: dir,
      started: 'directly',
    });
    expect(cmd.env).toEqual({
      CHECKPOINT_DISABLE: '1',
      DATABASE_URL: db.url,
      PATH: [join(dir, 'node_modules', '.bin'), baseEnv().PATH].filter(Boolean).join(delimiter),
    });
    expect(cmd.secrets).toEqual([db.url, db.password]);
    expect([cmd.file, ...cmd.args].join(' ')).not.toContain('s3cret');
    // A PATH the config gives the app's commands is kept, behind the app's bins.
    const own = await prismaCommand(['npx', 'prisma', 'migrate', 'deploy'], {
      cwd: dir,
      commandEnv: { PATH: '/opt/tools' },
    });
    expect(own.env!.PATH).toBe([join(dir, 'node_modules', '.bin'), '/opt/tools'].join(delimiter));
  });

  it('runs a custom argv, a pinned version or an app without Prisma exactly as configured', async () => {
    const dir = app('custom');
    prismaPackage(join(dir, 'node_modules', 'prisma'));
    for (const argv of [
      ['node', 'scripts/migrate.mjs'],
      ['npx', 'prisma@6', 'migrate', 'deploy'],
    ]) {
      expect(await prismaCommand(argv, { cwd: dir, commandEnv: {} })).toEqual({
        file: argv[0],
        args: argv.slice(1),
        cwd: dir,
        env: {},
        secrets: [],
        timeoutMs: undefined,
        started: 'as configured',
      });
    }
    const none = await prismaCommand(['npx', '--no-install', 'prisma', 'migrate', 'deploy'], {
      cwd: app('no-prisma'),
      commandEnv: {},
    });
    expect(none).toMatchObject({
      file: 'npx',
      args: ['--no-install', 'prisma', 'migrate', 'deploy'],
      env: {},
      started: 'as configured',
    });
  });
});
