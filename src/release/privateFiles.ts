/**
 * Files safe-deploy writes on the host: schema dumps, rehearsal dumps, backup descriptions.
 * Nothing goes to a fixed or predictable path in a shared folder: scratch space is a private
 * folder (mkdtemp, 0700) under the work folder, and a file at a known path is written to a fresh
 * exclusive temporary name beside it and renamed into place, so a planted symlink is replaced,
 * never followed. Modes are set explicitly, whatever the worker's umask.
 */
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, mkdtemp, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { deployFailure, FailureType } from '../shared/errors.js';
import type { StepName } from '../shared/steps.js';

const uid = () => process.getuid?.() ?? 0;

/**
 * `dir` exists as a directory the worker owns that no one else may write to (group/other write
 * would let another user plant files or symlinks in it). Created 0700 when absent; a folder of
 * ours with a looser mode is tightened to 0700 when `tighten` (our own work folder).
 */
export async function ensurePrivateDir(
  dir: string,
  o: { field: string; step: StepName; tighten: boolean },
): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const s = await stat(dir);
  const refuse = (why: string, remedy: string) =>
    deployFailure(FailureType.InvalidConfig, {
      step: o.step,
      what: `${o.field} ${dir} ${why}`,
      remedy,
      retryable: false,
    });
  if (!s.isDirectory()) throw refuse('is not a directory', `point ${o.field} at a directory`);
  if (s.uid !== uid())
    throw refuse(
      `belongs to uid ${s.uid}, not to the worker's user (uid ${uid()})`,
      `give ${o.field} to the worker's user, or point it at a folder of its own`,
    );
  if (o.tighten && (s.mode & 0o077) !== 0) {
    if ((await lstat(dir)).isSymbolicLink())
      throw refuse('is a symbolic link', `point ${o.field} at a real folder of the worker's`);
    await chmod(dir, 0o700);
  } else if ((s.mode & 0o022) !== 0) {
    throw refuse(
      `can be written by other users (mode ${(s.mode & 0o7777).toString(8)})`,
      `chmod go-w ${dir} (better: 700), or point ${o.field} at a private folder`,
    );
  }
}

/** A new private folder (0700, unpredictable name) under `parent`, itself made private first. */
export async function privateTempDir(
  parent: string,
  prefix: string,
  o: { field: string; step: StepName },
): Promise<string> {
  await ensurePrivateDir(parent, { ...o, tighten: true });
  return mkdtemp(join(parent, prefix));
}

/**
 * Removes what earlier attempts left under `parent` starting with `prefix` (their folders are named `<prefix>XXXXXX`).
 */
export async function removeLeftovers(parent: string, prefix: string): Promise<void> {
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    if (name.startsWith(prefix)) await rm(join(parent, name), { recursive: true, force: true });
  }
}

/**
 * Writes `data` to `path` with mode 0600: to an exclusive temporary file beside it (O_EXCL,
 * O_NOFOLLOW), then renamed over `path`: a symlink planted at `path` is replaced, not followed.
 */
export async function writePrivateFile(path: string, data: string | Buffer): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.chmod(0o600); // whatever the umask
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
}

/** Makes every file under `path` 0600 and every folder 0700 (a pg_dump output written with the process umask). */
export async function makePrivate(path: string): Promise<void> {
  const s = await lstat(path);
  if (s.isSymbolicLink()) return;
  if (s.isDirectory()) {
    await chmod(path, 0o700);
    for (const name of await readdir(path)) await makePrivate(join(path, name));
  } else {
    await chmod(path, 0o600);
  }
}
