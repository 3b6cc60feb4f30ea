/**
 * Paths from the worker's config, normalised once where they are parsed, so that every comparison
 * and join downstream sees one spelling: `/var/backups/app/` and `/var/backups//app/.` are
 * `/var/backups/app`. A `..` segment is refused rather than resolved: a configured path means what
 * it says, and a prefix check (is this directory under workDir?) must never be fooled by one.
 * Pure string work (no node:path): the config schema is also bundled into the workflow.
 */

// A control character (NUL, newline, …) in a path is never meant.
const CONTROL = /[\u0000-\u001f\u007f]/;

const segmentsOf = (p: string) => p.split('/').filter((s) => s !== '' && s !== '.');

/** An absolute path, normalised (no `.`, `//` or trailing `/`), or why it is not acceptable. */
export function normalizeAbsolutePath(p: string): { path: string } | { problem: string } {
  if (!p.startsWith('/')) return { problem: 'an absolute path' };
  if (CONTROL.test(p)) return { problem: 'an absolute path without control characters' };
  const segments = segmentsOf(p);
  if (segments.includes('..')) return { problem: 'an absolute path without .. segments' };
  if (segments.length === 0) return { problem: 'an absolute path other than /' };
  return { path: `/${segments.join('/')}` };
}

/**
 * A file or folder inside the app's repository (`prisma/migrations`, `.safe-deploy.json`),
 * normalised (no leading `./`, no `//`, no trailing `/`), or why it is not acceptable: it must be
 * relative and must not climb out with `..`.
 */
export function normalizeRepoPath(p: string): { path: string } | { problem: string } {
  if (p.startsWith('/')) return { problem: 'a path relative to the repository root, not an absolute one' };
  if (CONTROL.test(p) || p.includes('\\'))
    return { problem: 'a path inside the repository, without backslashes or control characters' };
  const segments = segmentsOf(p);
  if (segments.includes('..')) return { problem: 'a path inside the repository: a .. segment climbs out of it' };
  if (segments.length === 0) return { problem: 'a path inside the repository, not its root' };
  return { path: segments.join('/') };
}
