import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { gitArchive } from '../commands/git.js';
import { tarExtract } from '../commands/tar.js';
import type { TargetConfig } from '../config/schema.js';
import { CommandFailed } from '../exec/run.js';
import { FailureType } from '../shared/errors.js';
import type { StepName } from '../shared/steps.js';
import { sha256 } from '../postgres/state.js';
import { runInActivity } from '../activities/activityDeps.js';
import { commandFailure } from '../activities/commandFailure.js';
import { codePaths } from './codePaths.js';
import { privateTempDir } from './privateFiles.js';

/** A commit as resolveRelease returns it: a full or abbreviated sha, never an option or a path. */
export const commitSchema = z.string().regex(/^[0-9a-f]{7,64}$/, 'a commit sha (hex)');

/** A migration folder of a release: its name and its migration.sql, byte for byte. */
export interface MigrationScript {
  name: string;
  bytes: Buffer;
}

/**
 * Reads files of a release at `commit` without checking it out (the working copy stays at the
 * current release during pre-checks): `git archive` of `paths` into a temporary folder,
 * unpacked, handed to `use`, then removed.
 * `git show` would do for small text, but the runner keeps only a redacted tail of output, and a
 * checksum needs every byte. Paths absent at that commit are simply missing from the folder.
 */
export async function withReleaseFiles<T>(
  t: TargetConfig,
  commit: string,
  paths: readonly string[],
  o: { deploymentId: string; step: StepName },
  use: (dir: string) => Promise<T>,
): Promise<T> {
  // A folder of its own: activities of one deployment may read the same commit at the same time.
  const work = await privateTempDir(codePaths(t).workDir, `release-${sha256(o.deploymentId).slice(0, 8)}-`, {
    field: 'workDir',
    step: o.step,
  });
  await mkdir(join(work, 'tree'));
  try {
    for (const [i, path] of paths.entries()) {
      const tar = join(work, `${i}.tar`);
      try {
        await runInActivity(gitArchive(codePaths(t).gitDir, commit, tar, [path]), 'read release');
      } catch (e) {
        if (e instanceof CommandFailed && /did not match any files/.test(e.stderr)) continue; // not in this release
        throw commandFailure(e, {
          step: o.step,
          type: FailureType.CommandFailed,
          what: `cannot read ${path} at ${commit.slice(0, 12)} with git archive`,
          remedy: `check that ${codePaths(t).gitDir} is a git repository holding that commit`,
          retryable: true,
        });
      }
      try {
        await runInActivity(tarExtract(tar, join(work, 'tree')), 'unpack release');
      } catch (e) {
        throw commandFailure(e, {
          step: o.step,
          type: FailureType.ToolMissing,
          what: 'cannot unpack the archive git made',
          remedy: 'install tar on the worker host',
          retryable: false,
        });
      }
    }
    return await use(join(work, 'tree'));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Every `<migrationsDir>/<name>/migration.sql` of a release, in Prisma's order (by folder name). */
export async function readMigrationScripts(
  t: TargetConfig,
  commit: string,
  o: { deploymentId: string; step: StepName },
): Promise<MigrationScript[]> {
  return withReleaseFiles(t, commit, [t.migrationsDir], o, (tree) => migrationScriptsIn(join(tree, t.migrationsDir)));
}

/**
 * Every `<name>/migration.sql` under `dir` (a working copy's migrations folder, as Prisma reads it), by folder name.
 */
export async function migrationScriptsIn(dir: string): Promise<MigrationScript[]> {
  if (!existsSync(dir)) return [];
  const folders = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
  const scripts: MigrationScript[] = [];
  for (const name of folders) {
    const file = join(dir, name, 'migration.sql');
    if (existsSync(file)) scripts.push({ name, bytes: await readFile(file) });
  }
  return scripts;
}

/** A text file of a release, or undefined when the release has none. */
export async function readReleaseText(
  t: TargetConfig,
  commit: string,
  path: string,
  o: { deploymentId: string; step: StepName },
): Promise<string | undefined> {
  return withReleaseFiles(t, commit, [path], o, async (tree) => {
    const file = join(tree, path);
    return existsSync(file) ? readFile(file, 'utf8') : undefined;
  });
}
