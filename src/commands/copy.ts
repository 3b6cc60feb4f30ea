import type { Cmd } from '../exec/run.js';

/**
 * Copies a directory tree with its modes, times and relative symlinks (`cp -a`), sharing blocks
 * where the filesystem can (`--reflink=auto`: btrfs, XFS; a plain copy on ext4) — never hard
 * links, so a write into the copy never reaches the original. `to` must not exist.
 */
export const copyTree = (from: string, to: string, timeoutMs?: number): Cmd => ({
  file: 'cp',
  args: ['-a', '--reflink=auto', '--', from, to],
  timeoutMs,
});
