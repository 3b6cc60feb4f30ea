/**
 * Staging without a second full install (issue 14). When a release asks for exactly the
 * dependencies the live tree has installed, the staged tree starts from a COPY of the live
 * node_modules (`cp -a --reflink=auto`; never hard links: a build or `prisma generate` writing into
 * the staged node_modules must never change the running app's files) instead of `npm ci`, and then
 * runs what `npm ci` runs once it has extracted the packages, so that the result is the same:
 * every package's install scripts (`npm rebuild`: @prisma/client's generates the client from the
 * RELEASE's schema, a native addon is rebuilt for the Node it runs on) and the root package's own
 * install lifecycle scripts. The release's build commands run afterwards as after `npm ci`.
 */
import { lstat, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { appCommand } from '../commands/app.js';
import { copyTree } from '../commands/copy.js';
import type { Cmd } from '../exec/run.js';
import { runInActivity } from '../activities/activityDeps.js';

/** What `npm ci` runs of the root package itself after reifying, in this order (npm's lib/commands/ci.js). */
export const ROOT_INSTALL_SCRIPTS = [
  'preinstall',
  'install',
  'postinstall',
  'prepublish',
  'preprepare',
  'prepare',
  'postprepare',
] as const;

/** The package.json fields that decide what `npm ci` installs (the rest — version, scripts, … — does not). */
export const DEPENDENCY_FIELDS = [
  'dependencies',
  'devDependencies',
  'optionalDependencies',
  'peerDependencies',
  'peerDependenciesMeta',
  'bundleDependencies',
  'bundledDependencies',
  'overrides',
  'workspaces',
] as const;

/** Everything of a tree that decides what `npm ci` puts into its node_modules. */
export interface InstallInputs {
  packageJson: Record<string, unknown>;
  /** package-lock.json's text; undefined when there is none. */
  lockfile?: string;
  /** npm-shrinkwrap.json's text (it would win over package-lock.json); undefined when there is none. */
  shrinkwrap?: string;
  /** The project's .npmrc (omit, install-links, legacy-peer-deps… change what is installed). */
  npmrc?: string;
}

interface LockEntry {
  version?: string;
  optional?: boolean;
  dev?: boolean;
  devOptional?: boolean;
  [field: string]: unknown;
}
interface Lockfile {
  name?: string;
  version?: string;
  packages?: Record<string, LockEntry>;
  [field: string]: unknown;
}

/**
 * A lockfile without the root package's own name and version: a release that only bumps its
 * version (npm writes it into the lockfile twice) installs exactly the same node_modules.
 */
export function lockfileForInstall(text: string): Lockfile {
  const lock = JSON.parse(text) as Lockfile;
  const { name: _name, version: _version, ...rest } = lock;
  const packages = { ...(lock.packages ?? {}) };
  if (packages['']) {
    const { name: _n, version: _v, ...root } = packages[''];
    packages[''] = root;
  }
  return { ...rest, packages };
}

/** Why the release's install would differ from the live tree's; undefined when it installs the very same packages. */
export function installInputsDiffer(live: InstallInputs, release: InstallInputs): string | undefined {
  if (live.lockfile === undefined) return 'the live tree has no package-lock.json';
  if (release.lockfile === undefined) return 'the release has no package-lock.json';
  if (live.shrinkwrap !== undefined || release.shrinkwrap !== undefined)
    return 'an npm-shrinkwrap.json decides the install: not compared, so not reused';
  const fields = DEPENDENCY_FIELDS.filter((f) => !isDeepStrictEqual(live.packageJson[f], release.packageJson[f]));
  if (fields.length > 0) return `package.json's ${fields.join(', ')} changed`;
  if ((live.npmrc ?? '') !== (release.npmrc ?? '')) return '.npmrc changed';
  let same: boolean;
  try {
    same = isDeepStrictEqual(lockfileForInstall(live.lockfile), lockfileForInstall(release.lockfile));
  } catch (e) {
    return `a package-lock.json is not valid JSON (${(e as Error).message})`;
  }
  return same ? undefined : 'package-lock.json changed';
}

/**
 * Why the live node_modules is not what its lockfile says; undefined when npm's own record of what
 * it installed (`node_modules/.package-lock.json`) holds every locked package as locked (an optional
 * one may be left out: not for this platform) and nothing else. A dev package left out means the
 * live tree was installed without its dev dependencies (`--omit=dev`, NODE_ENV=production): its copy
 * is not what the release's `npm ci` installs, so it is not reused (a build could miss its tools).
 */
export function installedDiffersFromLock(lock: Lockfile, installed: Lockfile): string | undefined {
  const locked = lock.packages ?? {};
  const present = installed.packages ?? {};
  for (const [key, entry] of Object.entries(present)) {
    if (key === '') continue;
    if (!Object.hasOwn(locked, key)) return `${key} is installed but not in the lockfile`;
    if (!isDeepStrictEqual(entry, locked[key]))
      return `${key} is installed as ${entry.version ?? '?'}, the lockfile says ${locked[key]!.version ?? '?'}`;
  }
  for (const [key, entry] of Object.entries(locked)) {
    if (key === '' || !key.includes('node_modules/') || Object.hasOwn(present, key)) continue;
    if (entry.optional) continue;
    if (entry.dev || entry.devOptional)
      return `${key} (a dev dependency) is locked but not installed: the live tree omitted dev dependencies`;
    return `${key} is locked but not installed`;
  }
  return undefined;
}

const readText = (path: string) =>
  readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });

export async function readInstallInputs(dir: string): Promise<InstallInputs> {
  const [packageJson, lockfile, shrinkwrap, npmrc] = await Promise.all(
    ['package.json', 'package-lock.json', 'npm-shrinkwrap.json', '.npmrc'].map((f) => readText(join(dir, f))),
  );
  let parsed: Record<string, unknown> = {};
  try {
    parsed = packageJson === undefined ? {} : (JSON.parse(packageJson) as Record<string, unknown>);
  } catch {
    parsed = { dependencies: Symbol('invalid package.json') }; // never equal to anything: not reused
  }
  return { packageJson: parsed, lockfile, shrinkwrap, npmrc };
}

/** The first symlink under `root` that points outside it (absolute, or up and out); undefined when none does. */
export async function symlinkLeaving(root: string): Promise<string | undefined> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  for (const e of entries) {
    if (!e.isSymbolicLink()) continue;
    const at = join(e.parentPath, e.name);
    const target = await readlink(at);
    const to = resolve(dirname(at), target);
    if (target.startsWith('/') || !(to === root || to.startsWith(dirname(root) + sep))) return at;
  }
  return undefined;
}

export type LiveCopy = { copied: true } | { copied: false; why: string };

/**
 * Fills `dir/node_modules` from `live/node_modules` when that is what `npm ci` would install there
 * (see the file's comment); `{ copied: false, why }` without changing anything it found otherwise,
 * and the caller runs the install command. The copy is made afresh on every attempt.
 */
export async function copyLiveModules(o: {
  live: string;
  dir: string;
  install: readonly string[];
  env: { commandEnv: Record<string, string>; timeoutMs: number };
}): Promise<LiveCopy> {
  const { live, dir } = o;
  const no = (why: string): LiveCopy => ({ copied: false, why });
  if (basename(o.install[0] ?? '') !== 'npm' || o.install[1] !== 'ci')
    return no(`commands.install is not npm ci (${o.install.join(' ')})`);
  // The copy carries the live tree's dev dependencies, which an install without them would not.
  if (o.install.some((a) => /^--(omit|only|production)\b/.test(a)) || o.env.commandEnv.NODE_ENV === 'production')
    return no(`commands.install leaves dev dependencies out (${o.install.join(' ')}): a copy would not`);
  if (resolve(live) === resolve(dir)) return no('the release is staged in the live tree itself');
  const modules = join(live, 'node_modules');
  const kind = await lstat(modules).catch(() => undefined);
  if (!kind) return no(`the live tree (${live}) has no node_modules`);
  if (!kind.isDirectory()) return no(`${modules} is not a directory of its own (a symlink?)`);
  const [liveInputs, releaseInputs] = await Promise.all([readInstallInputs(live), readInstallInputs(dir)]);
  const differs = installInputsDiffer(liveInputs, releaseInputs);
  if (differs) return no(differs);
  const hidden = await readText(join(modules, '.package-lock.json'));
  if (hidden === undefined) return no(`${modules}/.package-lock.json is missing: what is installed is unknown`);
  let notAsLocked: string | undefined;
  try {
    notAsLocked = installedDiffersFromLock(JSON.parse(liveInputs.lockfile!), JSON.parse(hidden));
  } catch (e) {
    notAsLocked = `node_modules/.package-lock.json is not valid JSON (${(e as Error).message})`;
  }
  if (notAsLocked) return no(`the live node_modules is not its lockfile's install: ${notAsLocked}`);
  // Installed by safe-deploy: under the same install command (an --omit=dev added since would install less).
  const marker = await readText(join(modules, '.safe-deploy-install.json'));
  let installedWith: unknown;
  try {
    installedWith =
      marker === undefined ? undefined : (JSON.parse(marker) as { installCommand?: unknown }).installCommand;
  } catch {
    return no(`${modules}/.safe-deploy-install.json is not valid JSON`);
  }
  if (installedWith !== undefined && !isDeepStrictEqual(installedWith, o.install))
    return no(`the live node_modules was installed with ${JSON.stringify(installedWith)}, not commands.install`);

  const staged = join(dir, 'node_modules');
  await rm(staged, { recursive: true, force: true }); // what an earlier attempt left
  await runInActivity(copyTree(modules, staged, o.env.timeoutMs), 'copy-live-modules');
  const leaving = await symlinkLeaving(staged);
  if (leaving) {
    await rm(staged, { recursive: true, force: true });
    return no(
      `${leaving.slice(staged.length + 1)} in the live node_modules is a symlink out of it: a copy would share it`,
    );
  }
  // What npm ci would not have put there goes: npm ci empties node_modules, and of its dot-entries
  // only makes .bin and .package-lock.json itself. The rest are the live app's products —
  // safe-deploy's marker (install-dependencies writes the release's), the generated Prisma client
  // (@prisma/client's install script generates the release's, as in npm ci), tools' caches.
  for (const entry of await readdir(staged)) {
    if (entry.startsWith('.') && entry !== '.bin' && entry !== '.package-lock.json')
      await rm(join(staged, entry), { recursive: true, force: true });
  }
  // npm's record of the install names the root package as npm ci would have written it.
  const release = JSON.parse(releaseInputs.lockfile!) as Lockfile;
  const record = JSON.parse(hidden) as Lockfile;
  await writeFile(
    join(staged, '.package-lock.json'),
    JSON.stringify({ ...record, name: release.name, version: release.version }, null, 2) + '\n',
  );
  const npm = o.install[0]!;
  const scripts = (releaseInputs.packageJson.scripts ?? {}) as Record<string, unknown>;
  const cmds: [string, Cmd][] = [
    ['rebuild', appCommand([npm, 'rebuild'], { cwd: dir, ...o.env })],
    ...ROOT_INSTALL_SCRIPTS.filter((s) => typeof scripts[s] === 'string').map(
      // --ignore-scripts: this event's script alone, not its pre/post (npm ci runs each event once).
      (s) => [s, appCommand([npm, 'run-script', s, '--ignore-scripts'], { cwd: dir, ...o.env })] as [string, Cmd],
    ),
  ];
  for (const [phase, cmd] of cmds) await runInActivity(cmd, phase);
  return { copied: true };
}
