import { posix } from 'node:path';

/**
 * The app's Prisma CLI as found in the directory a command runs in (the app, a staged copy, a
 * release directory): `entry` is the absolute path of the file its `prisma` bin points at
 * (`<dir>/node_modules/prisma/build/index.js`), absent when the app has no Prisma of its own there.
 */
export interface InstalledPrisma {
  entry?: string;
}

/**
 * npx's options that only say whether it may download a package. With the app's own Prisma
 * installed npx runs that one whatever they say, so they change nothing once it is found.
 */
const INSTALL_CHOICES = new Set(['--no-install', '--no', '--no-yes', '--yes', '-y']);

/**
 * The arguments after `prisma` when `argv` is `npx [--no-install|--no|--yes|-y …] prisma …`, the
 * form of the config's defaults; undefined for anything else. `prisma@6` (a version asked for),
 * `-p`/`--package`, `--` and any other option of npx are left to npx: only this form is known to
 * run exactly the app's own installed CLI.
 */
export function npxPrismaArgs(argv: readonly string[]): readonly string[] | undefined {
  if (argv[0] !== 'npx') return undefined;
  let i = 1;
  while (i < argv.length && INSTALL_CHOICES.has(argv[i]!)) i++;
  return argv[i] === 'prisma' ? argv.slice(i + 1) : undefined;
}

/**
 * The argv that starts a configured Prisma command: the npx form of the defaults becomes the app's
 * own CLI started directly by `node` (`[node, entry, ...args]`: one process instead of npm, a
 * shell and node, and no PATH lookup); anything else, or no Prisma installed, runs as configured.
 */
export function resolvePrismaArgv(
  argv: readonly string[],
  installed: InstalledPrisma,
  node: string,
): readonly string[] {
  const args = npxPrismaArgs(argv);
  return args && installed.entry ? [node, installed.entry, ...args] : argv;
}

/**
 * The file `prisma` runs, relative to its package folder, from the package's package.json
 * (`"bin": { "prisma": "build/index.js" }`, since Prisma 2): only a plain relative path that
 * stays inside the package; anything else is not a Prisma CLI safe-deploy starts directly.
 */
export function prismaBinOf(pkg: unknown): string | undefined {
  if (!pkg || typeof pkg !== 'object') return undefined;
  const { name, bin } = pkg as { name?: unknown; bin?: unknown };
  if (name !== 'prisma') return undefined;
  const file =
    typeof bin === 'string'
      ? bin
      : bin && typeof bin === 'object' && Object.hasOwn(bin, 'prisma')
        ? (bin as Record<string, unknown>).prisma
        : undefined;
  if (typeof file !== 'string' || file === '' || file.includes('\\') || file.includes('\0')) return undefined;
  const normal = posix.normalize(file);
  if (posix.isAbsolute(normal) || normal === '.' || normal === '..' || normal.startsWith('../')) return undefined;
  return normal;
}
