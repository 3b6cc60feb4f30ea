import { realpath } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { TargetConfig } from '../config/schema.js';

// Paths only, importing no activity: stagedProducts.ts needs them, and layout.ts (the activities)
// needs stagedProducts through dependencies.ts.

/**
 * Where a target's code lives. In place: one git working copy (appDir), fetched from its remote.
 * Releases: `<root>/repo` (a mirror of the repository), `<root>/releases/<time>-<sha>` (one
 * directory per release, each with its own node_modules), and `<root>/current` (appDir), a
 * symlink switched atomically.
 */
export function codePaths(t: Pick<TargetConfig, 'appDir' | 'codeLayout' | 'gitRemote' | 'workDir' | 'backup'>) {
  const root = dirname(t.appDir);
  const releases = t.codeLayout === 'releases';
  return {
    /** The git directory releases are resolved and read in. */
    gitDir: releases ? join(root, 'repo') : t.appDir,
    remote: releases ? 'origin' : t.gitRemote,
    releasesDir: join(root, 'releases'),
    workDir: t.workDir ?? join(t.backup.dir, 'work'),
  };
}

/** `20261125T120000Z` → `20261125120000`: release directories sort by the time of their deployment. */
const stamp = (iso: string) => iso.replace(/[^0-9]/g, '').slice(0, 14);

/** Where a deployment stages its target release: the release directory itself, or a scratch copy for the rehearsal. */
export function stagedDir(t: TargetConfig, deploymentId: string, commit: string, startedAt: string): string {
  const p = codePaths(t);
  return t.codeLayout === 'releases'
    ? join(p.releasesDir, `${stamp(startedAt)}-${commit.slice(0, 12)}`)
    : join(p.workDir, `stage-${deploymentId}`);
}

/** The directory `current` points at (releases), or appDir itself (in place). */
export async function liveDir(t: TargetConfig): Promise<string> {
  return t.codeLayout === 'releases' ? realpath(t.appDir) : t.appDir;
}
