import type { ReleaseManifest } from '../config/schema.js';

/** The release being deployed and the one it replaces: resolveRelease's result. */

export interface ReleaseInfo {
  commit: string;
  /** Where it lives on disk, for the live release (its own directory in the `releases` layout). */
  dir?: string;
  /** `git describe` of the commit, e.g. `v2` */
  name: string;
  manifest: ReleaseManifest;
  /** Migration folder names in this release. */
  migrations: string[];
}

export interface ResolvedRelease {
  current: ReleaseInfo;
  target: ReleaseInfo;
}
