import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { durationMs } from '../shared/duration.js';
import { appCommand } from '../commands/app.js';
import { CommandFailed } from '../exec/run.js';
import { gitHead } from '../commands/git.js';
import type { TargetConfig } from '../config/schema.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import type { StepName } from '../shared/steps.js';
import { commandEnvValues, runInActivity, type ActivityDeps } from './activityDeps.js';
import { commandFailure } from './commandFailure.js';
import { sha256File } from '../release/files.js';
import { moveStagedProducts, removeKept, restoreKeptProducts } from '../release/stagedProducts.js';
import { copyLiveModules } from '../release/liveModules.js';

export interface InstallInput {
  target: TargetConfig;
  /** The commit the working copy must be at: dependencies follow the code, never lead it. */
  commit: string;
  requiredPackages: string[];
  step: StepName;
  /** Where to install: the app's directory (default) or a staged release's. */
  dir?: string;
  /**
   * In place: the staged copy of this very commit, whose install and build products are moved in
   * (the app's previous ones kept aside for the deployment's rollback) instead of installing again.
   */
  fromStaged?: { dir: string; deploymentId: string };
  /** The rollback's reinstall: move back what this deployment kept aside first; install only if it does not match. */
  restoreKept?: { deploymentId: string };
  /**
   * Staging: the live tree, whose node_modules is copied instead of running `npm ci` when the
   * release's dependencies are its own and `reuse` (install.reuseLiveModules) allows (liveModules.ts).
   */
  liveTree?: { dir: string; reuse: boolean };
}

export interface DependencyFacts {
  commit: string;
  lockfileSha256: string;
  /** true when node_modules already matched this commit's lockfile and build. */
  skipped: boolean;
  packages: number;
  requiredPresent: string[];
  /**
   * Where node_modules and the build came from when not installed here:
   * moved in from the staged copy, or moved back from the kept folder.
   */
  source?: 'staged' | 'kept';
  /** Why the fast way was not taken (the install command ran instead). */
  note?: string;
  /**
   * How node_modules was filled, for people: `copied from the live tree (lockfile unchanged)`, or
   * the install command (`npm ci`, with why the live tree was not copied).
   */
  installedBy?: string;
}

const MARKER = '.safe-deploy-install.json';

interface LockEntry {
  optional?: boolean;
  dev?: boolean;
  devOptional?: boolean;
  [field: string]: unknown;
}

/**
 * Top-level packages of a lockfile (`node_modules/<name>`, scoped included): `all` may be
 * installed; `required` must be (optional ones may be skipped for this platform, dev ones omitted).
 */
export function lockfilePackages(lock: { packages?: Record<string, LockEntry> }): {
  all: Set<string>;
  required: Set<string>;
} {
  const all = new Set<string>();
  const required = new Set<string>();
  for (const [key, entry] of Object.entries(lock.packages ?? {})) {
    const m = /^node_modules\/((?:@[^/]+\/)?[^/]+)$/.exec(key);
    if (!m) continue;
    all.add(m[1]!);
    if (!entry.optional && !entry.dev && !entry.devOptional) required.add(m[1]!);
  }
  return { all, required };
}

/** Top-level packages actually present in node_modules. */
export async function installedPackages(appDir: string): Promise<Set<string>> {
  const root = join(appDir, 'node_modules');
  const names = new Set<string>();
  if (!existsSync(root)) return names;
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    if (entry.name.startsWith('@') && entry.isDirectory()) {
      for (const inner of await readdir(join(root, entry.name))) names.add(`${entry.name}/${inner}`);
    } else names.add(entry.name);
  }
  return names;
}

/** node_modules matches the lockfile exactly at the top level: nothing missing, nothing left over. */
export async function compareWithLockfile(
  appDir: string,
): Promise<{ missing: string[]; extraneous: string[]; packages: number }> {
  const lock = JSON.parse(await readFile(join(appDir, 'package-lock.json'), 'utf8'));
  const { all, required } = lockfilePackages(lock);
  const present = await installedPackages(appDir);
  return {
    missing: [...required].filter((p) => !present.has(p)).sort(),
    extraneous: [...present].filter((p) => !all.has(p)).sort(),
    packages: present.size,
  };
}

/**
 * What npm itself says went wrong: its error `code` and the `npm error` lines after it, without
 * the usage text and log path it appends. Undefined when the output carries no npm error code.
 */
export function npmDiagnosis(output: string): { code: string; text: string } | undefined {
  const lines = output
    .split('\n')
    .filter((l) => /^npm (error|ERR!)/.test(l))
    .map((l) => l.replace(/^npm (error|ERR!) ?/, '').trim());
  const at = lines.findIndex((l) => /^code \S+$/.test(l));
  if (at < 0) return undefined;
  const said: string[] = [];
  for (const line of lines.slice(at + 1)) {
    if (/^(Clean install a project|Usage:|A complete log of this run)/.test(line)) break;
    if (line && !said.includes(line)) said.push(line);
  }
  return { code: lines[at]!.slice('code '.length), text: said.join(' ') };
}

/**
 * npm error codes that a retry cannot fix: the release itself is
 * wrong (a lockfile out of sync, a version that does not exist).
 */
const RELEASE_ERRORS = new Set(['EUSAGE', 'ETARGET', 'EBADPLATFORM', 'EJSONPARSE']);

export function createDependencyActivities(deps: ActivityDeps) {
  return {
    /**
     * `npm ci` from the checked-out release's lockfile, then the app's build commands. Skipped when
     * the marker says node_modules was built from this very commit and lockfile, so a retry or a
     * compensation for a step that never ran costs nothing.
     */
    async installDependencies({
      target: t,
      commit,
      requiredPackages,
      step,
      dir = t.appDir,
      fromStaged,
      restoreKept,
      liveTree,
    }: InstallInput): Promise<DependencyFacts> {
      const head = (await runInActivity(gitHead(dir), 'head')).stdout.trim();
      if (head !== commit) {
        throw deployFailure(FailureType.DependencyInstallFailed, {
          step,
          what: `the working copy is at ${head.slice(0, 12)}, expected ${commit.slice(0, 12)}`,
          remedy: 'activate the release first',
          retryable: false,
        });
      }
      const lockfileSha256 = await sha256File(join(dir, 'package-lock.json')).catch(() => {
        throw deployFailure(FailureType.DependencyInstallFailed, {
          step,
          what: `${dir} has no package-lock.json`,
          remedy: 'commit a lockfile: npm ci needs it for reproducible installs',
          retryable: false,
        });
      });
      let source: DependencyFacts['source'];
      let note: string | undefined;
      if (fromStaged) {
        const m = await moveStagedProducts({
          t,
          deploymentId: fromStaged.deploymentId,
          stagedDir: fromStaged.dir,
          commit,
          step,
        });
        if (m.note) note = m.note;
        else source = 'staged';
      }
      if (restoreKept) {
        const r = await restoreKeptProducts({ t, deploymentId: restoreKept.deploymentId });
        if (r.restored) source = 'kept';
      }
      const markerPath = join(dir, 'node_modules', MARKER);
      const marker = await readFile(markerPath, 'utf8')
        .then(JSON.parse)
        .catch(() => undefined);
      const before = await compareWithLockfile(dir);
      const upToDate =
        marker?.commit === commit &&
        marker?.lockfileSha256 === lockfileSha256 &&
        before.missing.length === 0 &&
        before.extraneous.length === 0;
      if (!upToDate && source) {
        note =
          `${source === 'staged' ? 'the node_modules moved in from the staged copy' : 'the kept node_modules'} ` +
          `did not match ${commit.slice(0, 12)}'s lockfile and build: installed with the install command`;
        source = undefined;
      }
      let installedBy: string | undefined;
      if (!upToDate) {
        const env = {
          cwd: dir,
          commandEnv: commandEnvValues(deps, t, step),
          timeoutMs: durationMs(t.commandTimeouts.install),
        };
        for (const [phase, argv] of [
          ['install', t.commands.install],
          ...t.commands.build.map((b) => ['build', b] as const),
        ] as const) {
          if (phase === 'install' && liveTree) {
            const copy = liveTree.reuse
              ? await copyLiveModules({ live: liveTree.dir, dir, install: argv, env }).catch((e) => {
                  throw commandFailure(e, {
                    step,
                    type: FailureType.DependencyInstallFailed,
                    what:
                      `copying the live node_modules into ${dir} and running what npm ci runs ` +
                      'after extracting failed',
                    remedy: "see the command's output; set install.reuseLiveModules to false to run npm ci instead",
                    retryable: true,
                  });
                })
              : { copied: false as const, why: 'install.reuseLiveModules is false' };
            installedBy = copy.copied
              ? 'copied from the live tree (lockfile unchanged)'
              : `${argv.join(' ')} (the live node_modules not copied: ${copy.why})`;
            if (copy.copied) continue;
          }
          try {
            await runInActivity(appCommand(argv, env), phase);
          } catch (e) {
            const npm = e instanceof CommandFailed ? npmDiagnosis(e.stderr || e.stdout) : undefined;
            if (npm && RELEASE_ERRORS.has(npm.code)) {
              throw deployFailure(FailureType.DependencyInstallFailed, {
                step,
                what: `${phase} (${argv.join(' ')}) refused the release: npm ${npm.code}: ${npm.text}`,
                remedy:
                  'fix package.json or package-lock.json in the release (run npm install and commit the ' +
                  'lockfile), then deploy again',
                retryable: false,
                details: { command: (e as CommandFailed).display, exitCode: (e as CommandFailed).exitCode },
              });
            }
            throw commandFailure(e, {
              step,
              type: FailureType.DependencyInstallFailed,
              what: `${phase} failed (${argv.join(' ')})${npm ? `: npm ${npm.code}: ${npm.text}` : ''}`,
              remedy: 'fix the lockfile or build, or check the registry, then deploy again',
              retryable: true,
            });
          }
        }
      }
      const after = await compareWithLockfile(dir);
      const absent = requiredPackages.filter((p) => !existsSync(join(dir, 'node_modules', p, 'package.json')));
      if (absent.length > 0 || after.missing.length > 0 || after.extraneous.length > 0) {
        throw deployFailure(FailureType.DependencyInstallFailed, {
          step,
          what:
            `node_modules does not match the release: ` +
            [
              absent.length && `required but absent: ${absent.join(', ')}`,
              after.missing.length && `in the lockfile but absent: ${after.missing.join(', ')}`,
              after.extraneous.length && `not in the lockfile: ${after.extraneous.join(', ')}`,
            ]
              .filter(Boolean)
              .join('; '),
          remedy: 'add the packages to package.json and the lockfile of the release',
          retryable: false,
        });
      }
      if (!upToDate)
        await writeFile(
          markerPath,
          JSON.stringify({
            commit,
            lockfileSha256,
            dir,
            installedAt: new Date().toISOString(),
            // The install command's argv: a copy of this node_modules stands for it only under the same
            // one (liveModules.ts).
            installCommand: t.commands.install,
          }),
        );
      if (restoreKept) await removeKept(t, restoreKept.deploymentId);
      return {
        commit,
        lockfileSha256,
        skipped: upToDate,
        packages: after.packages,
        requiredPresent: requiredPackages,
        ...(source ? { source } : {}),
        ...(note ? { note } : {}),
        ...(installedBy ? { installedBy: `${installedBy}, ${after.packages} packages` } : {}),
      };
    },

    /**
     * Removes what install-dependencies kept of the previous release
     * for a rollback, once the deployment no longer needs it.
     */
    async removeKeptDependencies({
      target: t,
      deploymentId,
    }: {
      target: TargetConfig;
      deploymentId: string;
    }): Promise<{ removed: boolean }> {
      if (t.codeLayout === 'releases') return { removed: false };
      return removeKept(t, deploymentId);
    },
  };
}
