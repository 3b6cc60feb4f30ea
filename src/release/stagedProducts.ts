/**
 * In place, the release is staged (checked out, `npm ci`, built) in a scratch copy before writes
 * pause; install-dependencies then *moves* what that install and build produced into the app's
 * working copy instead of installing a second time, and moves the app's previous ones aside into a
 * private folder of the deployment, from which the rollback's reinstall moves them back.
 *
 * Every move is a rename on one filesystem, recorded first in a journal, so that an attempt cut
 * short (a worker killed between two renames) is finished by the next one from the files' state,
 * and undone by the rollback from the same journal.
 */
import { existsSync, lstatSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gitIgnoredPaths } from '../commands/git.js';
import type { TargetConfig } from '../config/schema.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import type { StepName } from '../shared/steps.js';
import { heartbeat, runInActivity, throwIfCancelled } from '../activities/activityDeps.js';
import { codePaths } from './codePaths.js';
import { ensurePrivateDir, writePrivateFile } from './privateFiles.js';

/**
 * The git-ignored paths of a fresh checkout after its install and build (`git status --ignored
 * --porcelain=v1 -z`): exactly what they produced (node_modules/, dist/, …), trailing slash
 * dropped. A path that could leave the working copy is refused.
 */
export function parseIgnored(porcelainZ: string): string[] {
  const paths = porcelainZ
    .split('\0')
    .filter((e) => e.startsWith('!! '))
    .map((e) => e.slice(3).replace(/\/+$/, ''));
  for (const p of paths) {
    if (
      !p ||
      p.startsWith('/') ||
      p.split('/').some((seg) => seg === '..' || seg === '.' || seg === '' || seg === '.git')
    ) {
      throw new Error(`unexpected ignored path in the staged copy: ${JSON.stringify(p)}`);
    }
  }
  return [...new Set(paths)].sort();
}

/** Where each path of the move is, as the journal's entry sees it. */
export interface EntryState {
  staged: boolean;
  app: boolean;
  kept: boolean;
  hadPrevious: boolean;
}
export type MoveAction = 'keep-previous' | 'remove-app' | 'move-in';

/**
 * The renames that finish moving one entry in, from whatever state an earlier attempt left:
 * still in the staged copy → the app's previous one aside (once; anything else in its place is
 * removed), then the staged one in. Gone from the staged copy → already moved in: nothing.
 */
export function moveInActions(s: EntryState): MoveAction[] {
  if (!s.staged) return [];
  if (!s.app) return ['move-in'];
  return s.hadPrevious && !s.kept ? ['keep-previous', 'move-in'] : ['remove-app', 'move-in'];
}

export type RestoreAction = 'remove-app' | 'restore-previous';

/**
 * The renames that put one entry back as it was before the deployment: the kept previous one
 * in its place; an entry the app did not have before removed. A kept copy already moved back
 * (or never moved aside) is in place: nothing.
 */
export function restoreActions(s: Pick<EntryState, 'app' | 'kept' | 'hadPrevious'>): RestoreAction[] {
  if (!s.hadPrevious) return s.app ? ['remove-app'] : [];
  if (!s.kept) return [];
  return s.app ? ['remove-app', 'restore-previous'] : ['restore-previous'];
}

interface Journal {
  /** The commit whose products were moved in. */
  commit: string;
  from: string;
  entries: string[];
  /** Entries the app had before the move (moved aside, to come back). */
  hadPrevious: string[];
}

/** The deployment's private folder for the app's previous install and build products. */
export function keptDir(t: TargetConfig, deploymentId: string): string {
  return join(codePaths(t).workDir, `kept-${deploymentId}`);
}

const journalPath = (kept: string) => join(kept, 'journal.json');
const readJournal = (kept: string): Promise<Journal | undefined> =>
  readFile(journalPath(kept), 'utf8').then(
    (x) => JSON.parse(x) as Journal,
    () => undefined,
  );
const exists = (p: string) => {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
};

export interface MovedIn {
  /** What was moved in from the staged copy (empty: nothing moved, see `note`). */
  moved: string[];
  /** Why nothing was moved (the caller installs as before). */
  note?: string;
}

/**
 * Moves the staged copy's install and build products into `appDir`, the app's previous ones into
 * the deployment's kept folder first. Finishes a half-moved state; a second call after a complete
 * move does nothing. Nothing is moved when the staged copy is gone or lives on another filesystem
 * (a rename cannot cross one): `note` says so.
 */
export async function moveStagedProducts(o: {
  t: TargetConfig;
  deploymentId: string;
  stagedDir: string;
  commit: string;
  step: StepName;
}): Promise<MovedIn> {
  const appDir = o.t.appDir;
  const kept = keptDir(o.t, o.deploymentId);
  let journal = await readJournal(kept);
  if (journal && journal.commit !== o.commit) {
    throw deployFailure(FailureType.DependencyInstallFailed, {
      step: o.step,
      what: `${kept} records a move of ${journal.commit.slice(0, 12)}, not ${o.commit.slice(0, 12)}`,
      remedy: `inspect ${kept}: it holds the app's previous dependencies`,
      retryable: false,
    });
  }
  if (!journal) {
    if (!existsSync(join(o.stagedDir, '.git')))
      return { moved: [], note: `the staged copy ${o.stagedDir} is gone: installed with the install command` };
    await ensurePrivateDir(codePaths(o.t).workDir, { field: 'workDir', step: o.step, tighten: true });
    await ensurePrivateDir(kept, { field: 'workDir', step: o.step, tighten: true });
    const devices = new Set(await Promise.all([appDir, o.stagedDir, kept].map(async (p) => (await stat(p)).dev)));
    if (devices.size > 1)
      return {
        moved: [],
        note:
          `workDir (${codePaths(o.t).workDir}) is on another filesystem than appDir: installed with the ` +
          `install command`,
      };
    const entries = parseIgnored((await runInActivity(gitIgnoredPaths(o.stagedDir), 'list install products')).stdout);
    journal = {
      commit: o.commit,
      from: o.stagedDir,
      entries,
      hadPrevious: entries.filter((e) => exists(join(appDir, e))),
    };
    await writePrivateFile(journalPath(kept), JSON.stringify(journal));
  }
  const moved: string[] = [];
  try {
    for (const [i, e] of journal.entries.entries()) {
      throwIfCancelled();
      const [staged, app, aside] = [join(journal.from, e), join(appDir, e), join(kept, 'products', e)];
      for (const action of moveInActions({
        staged: exists(staged),
        app: exists(app),
        kept: exists(aside),
        hadPrevious: journal.hadPrevious.includes(e),
      })) {
        if (action === 'keep-previous') {
          await mkdir(dirname(aside), { recursive: true, mode: 0o700 });
          await rename(app, aside);
        } else if (action === 'remove-app') {
          await rm(app, { recursive: true, force: true });
        } else {
          await mkdir(dirname(app), { recursive: true });
          await rename(staged, app);
        }
      }
      moved.push(e);
      heartbeat({ phase: 'move staged products in', done: i + 1, total: journal.entries.length });
    }
  } catch (e) {
    // A rename across filesystems (a bind mount the device check cannot see): what was moved
    // stays recorded for the rollback; the caller installs over the rest as before.
    if ((e as NodeJS.ErrnoException).code === 'EXDEV')
      return {
        moved: [],
        note:
          `a rename crossed filesystems (EXDEV) after ${moved.length} of ${journal.entries.length} entries: ` +
          `installed with the install command`,
      };
    throw e;
  }
  return { moved };
}

/**
 * Puts back the app's previous install and build products the deployment kept aside (the
 * rollback's reinstall, code already back): from any state a move or an earlier restore left.
 * `restored: false` when nothing was kept (no journal: install-dependencies never moved anything).
 */
export async function restoreKeptProducts(o: {
  t: TargetConfig;
  deploymentId: string;
}): Promise<{ restored: boolean; entries: string[] }> {
  const kept = keptDir(o.t, o.deploymentId);
  const journal = await readJournal(kept);
  if (!journal) return { restored: false, entries: [] };
  for (const [i, e] of journal.entries.entries()) {
    const [app, aside] = [join(o.t.appDir, e), join(kept, 'products', e)];
    for (const action of restoreActions({
      app: exists(app),
      kept: exists(aside),
      hadPrevious: journal.hadPrevious.includes(e),
    })) {
      if (action === 'remove-app') await rm(app, { recursive: true, force: true });
      else {
        await mkdir(dirname(app), { recursive: true });
        await rename(aside, app);
      }
    }
    heartbeat({ phase: 'move kept products back', done: i + 1, total: journal.entries.length });
  }
  return { restored: true, entries: journal.entries };
}

/** Removes the deployment's kept folder (after a deployment ends, or once moved back). Idempotent. */
export async function removeKept(t: TargetConfig, deploymentId: string): Promise<{ removed: boolean }> {
  const kept = keptDir(t, deploymentId);
  const existed = existsSync(kept);
  await rm(kept, { recursive: true, force: true });
  return { removed: existed };
}
