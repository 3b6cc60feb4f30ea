/**
 * A dump is written under a temporary name in backup.dir and renamed to its final name only once
 * verified, so a dump at its final name is always a whole, verified one. A cancelled or failed
 * backup leaves its partial file behind (pg_dump is killed, not cleaned up after); retention
 * removes the partial files of this app and environment that belong to other deployments.
 *
 * The name says whose it is, unambiguously: `partial-<target>-<deployment>.dump|.dir`, with
 * <target> = sha256 of app and environment (so app `farm` + environment `chat-production` never
 * matches app `farm-chat` + environment `production`) and <deployment> = sha256 of the
 * deploymentId. Pruning removes only names of exactly that shape.
 */
import { createHash } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { TargetConfig } from '../config/schema.js';

type Target = Pick<TargetConfig, 'app' | 'environment' | 'backup'>;

const key = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);
const targetKey = (t: Target) => key(`${t.app}\n${t.environment}`);
const PARTIAL = /^partial-([0-9a-f]{16})-([0-9a-f]{16})\.(dump|dir)$/;

/** Where the dump of `deploymentId` is written until it is verified. */
export function partialDumpPath(t: Target, deploymentId: string): string {
  return join(
    t.backup.dir,
    `partial-${targetKey(t)}-${key(deploymentId)}${t.backup.format === 'custom' ? '.dump' : '.dir'}`,
  );
}

/**
 * Removes the partial dumps of this app and environment left by other deployments. Only one
 * deployment of an app and environment runs at a time (the deployment lock), and retention runs
 * at the end of one: a partial file of another deployment is from one that ended without
 * finishing its dump. Returns the removed paths.
 */
export async function removeStalePartialDumps(t: Target, deploymentId: string): Promise<string[]> {
  const mine = targetKey(t);
  const current = key(deploymentId);
  const removed: string[] = [];
  for (const name of await readdir(t.backup.dir).catch(() => [] as string[])) {
    const m = PARTIAL.exec(name);
    if (!m || m[1] !== mine || m[2] === current) continue;
    const path = join(t.backup.dir, name);
    await rm(path, { recursive: true, force: true });
    removed.push(path);
  }
  return removed;
}
