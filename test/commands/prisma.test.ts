import { describe, expect, it } from 'vitest';
import { npxPrismaArgs, prismaBinOf, resolvePrismaArgv } from '../../src/commands/prisma.js';

const NODE = '/usr/local/bin/node';
const ENTRY = '/srv/app/node_modules/prisma/build/index.js';
const installed = { entry: ENTRY };

describe("the app's Prisma CLI started directly", () => {
  it.each([
    ['the default, npx --no-install', ['npx', '--no-install', 'prisma', 'migrate', 'status'], ['migrate', 'status']],
    ['plain npx', ['npx', 'prisma', 'migrate', 'deploy'], ['migrate', 'deploy']],
    ['npx -y', ['npx', '-y', 'prisma', 'migrate', 'deploy'], ['migrate', 'deploy']],
    ['npx --yes', ['npx', '--yes', 'prisma', 'migrate', 'deploy'], ['migrate', 'deploy']],
    [
      'npx --no (npm 7+ spelling of --no-install)',
      ['npx', '--no', 'prisma', 'migrate', 'deploy'],
      ['migrate', 'deploy'],
    ],
    [
      'reset with its flags',
      ['npx', '--no-install', 'prisma', 'migrate', 'reset', '--force', '--skip-seed'],
      ['migrate', 'reset', '--force', '--skip-seed'],
    ],
    [
      "options after prisma are prisma's",
      ['npx', 'prisma', '--no-install', 'migrate', 'status'],
      ['--no-install', 'migrate', 'status'],
    ],
  ] as const)('%s → node + the entry, every argument after prisma kept', (_, argv, args) => {
    expect(npxPrismaArgs(argv)).toEqual(args);
    expect(resolvePrismaArgv(argv, installed, NODE)).toEqual([NODE, ENTRY, ...args]);
  });

  it.each([
    ['a version asked for (npx fetches exactly that one)', ['npx', 'prisma@6', 'migrate', 'deploy']],
    ['a pinned version with --no-install', ['npx', '--no-install', 'prisma@6.19.3', 'migrate', 'status']],
    ['a package named with -p', ['npx', '-p', 'prisma', 'prisma', 'migrate', 'status']],
    ['a package named with --package=', ['npx', '--package=prisma', 'prisma', 'migrate', 'status']],
    ["npx's other options", ['npx', '--prefix', '/elsewhere', 'prisma', 'migrate', 'status']],
    ['-- before the command', ['npx', '--', 'prisma', 'migrate', 'status']],
    ['npx by path', ['/usr/bin/npx', 'prisma', 'migrate', 'status']],
    ['npm exec', ['npm', 'exec', 'prisma', '--', 'migrate', 'status']],
    ['a custom argv', ['node', 'node_modules/prisma/build/index.js', 'migrate', 'deploy']],
    ['a wrapper script', ['./bin/migrate.sh', 'deploy']],
    ["another package's CLI", ['npx', '--no-install', 'prisma-migrate-wrapper', 'deploy']],
    ['npx alone', ['npx']],
  ] as const)('%s: kept exactly as configured', (_, argv) => {
    expect(npxPrismaArgs(argv)).toBeUndefined();
    expect(resolvePrismaArgv(argv, installed, NODE)).toBe(argv);
  });

  it('keeps npx when the app has no Prisma of its own installed', () => {
    const argv = ['npx', '--no-install', 'prisma', 'migrate', 'deploy'];
    expect(resolvePrismaArgv(argv, {}, NODE)).toBe(argv);
  });
});

describe('the entry from node_modules/prisma/package.json', () => {
  it.each([
    ["Prisma's own bin", { name: 'prisma', bin: { prisma: 'build/index.js' } }, 'build/index.js'],
    ['a bin string', { name: 'prisma', bin: './build/index.js' }, 'build/index.js'],
    ['not Prisma', { name: 'prisma-fork', bin: { prisma: 'build/index.js' } }, undefined],
    ['no bin', { name: 'prisma' }, undefined],
    ['another bin only', { name: 'prisma', bin: { other: 'x.js' } }, undefined],
    ['leaving the package', { name: 'prisma', bin: { prisma: '../evil/index.js' } }, undefined],
    ['leaving it after a folder', { name: 'prisma', bin: { prisma: 'build/../../evil.js' } }, undefined],
    ['absolute', { name: 'prisma', bin: { prisma: '/usr/bin/evil' } }, undefined],
    ['the package folder itself', { name: 'prisma', bin: { prisma: '.' } }, undefined],
    ['a backslash', { name: 'prisma', bin: { prisma: 'build\\index.js' } }, undefined],
    ['not an object', 'prisma', undefined],
    ['null', null, undefined],
  ] as const)('%s', (_, pkg, expected) => {
    expect(prismaBinOf(pkg)).toBe(expected);
  });
});
