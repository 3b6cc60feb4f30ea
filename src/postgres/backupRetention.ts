/**
 * Retention: the newest `backup.keep` dumps, snapshots and kept-aside databases of one app and
 * environment stay, the older ones go; the current deployment's never do. Only one deployment of
 * an app+environment runs at a time (the deployment lock), so pruning at the end of one, with the
 * lock still held, can never take what a running deployment may need.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { withDatabase } from '../commands/pg.js';
import type { TargetConfig } from '../config/schema.js';
import { resolveDatabase, type ActivityDeps } from '../activities/activityDeps.js';
import { dropOwnDatabase, ownDatabases, ownerOf, type OwnKind } from './ownDatabases.js';
import { removeStalePartialDumps } from './partialDumps.js';
import { withClient } from './pgClient.js';

export interface PruneInput {
  /** The deployment that is ending: its backups are never pruned. */
  deploymentId: string;
  target: TargetConfig;
}

export interface PruneFacts {
  /** Dump paths and database names that stay. */
  kept: string[];
  removed: string[];
}

interface Backup {
  id: string;
  deploymentId: string;
  createdAt: string;
  remove: () => Promise<unknown>;
}

/** Per kind: newest first, the first `keep` and the current deployment's stay. */
function split(items: Backup[], keep: number, current: string): { kept: Backup[]; removed: Backup[] } {
  const sorted = [...items].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const kept = sorted.filter((b, i) => i < keep || b.deploymentId === current);
  return { kept, removed: sorted.filter((b) => !kept.includes(b)) };
}

/** Dumps described by their `<dump>.json` of this app and environment. */
async function dumpsOf(t: TargetConfig): Promise<Backup[]> {
  const names = await readdir(t.backup.dir).catch(() => [] as string[]);
  const found: Backup[] = [];
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    const described = join(t.backup.dir, name);
    const d = await readFile(described, 'utf8').then(
      (s) => JSON.parse(s) as Record<string, unknown>,
      () => undefined,
    );
    if (
      !d ||
      d.app !== t.app ||
      d.environment !== t.environment ||
      typeof d.deploymentId !== 'string' ||
      typeof d.createdAt !== 'string'
    )
      continue;
    const path = described.slice(0, -'.json'.length);
    found.push({
      id: path,
      deploymentId: d.deploymentId,
      createdAt: d.createdAt,
      remove: async () => {
        await rm(path, { recursive: true, force: true });
        await rm(described, { force: true });
      },
    });
  }
  return found;
}

export async function pruneBackups(deps: ActivityDeps, { deploymentId, target: t }: PruneInput): Promise<PruneFacts> {
  const { db } = resolveDatabase(deps, t, 'backup');
  const kept: string[] = [];
  const removed: string[] = [];
  const apply = async (groups: Backup[][]) => {
    for (const group of groups) {
      const s = split(group, t.backup.keep, deploymentId);
      kept.push(...s.kept.map((b) => b.id));
      for (const b of s.removed) {
        await b.remove();
        removed.push(b.id);
      }
    }
  };
  await apply([await dumpsOf(t)]);
  // What cancelled or failed dumps of earlier deployments left: never a whole dump, never another target's.
  removed.push(...(await removeStalePartialDumps(t, deploymentId)));
  await withClient(withDatabase(db, t.database.maintenanceDatabase), async (c) => {
    // Labelled by safe-deploy for this app, environment and database, and named as it names them.
    const owner = ownerOf(t, db);
    const mine = await ownDatabases(c, owner);
    const asBackups = (kind: OwnKind) =>
      mine
        .filter((d) => d.label.kind === kind)
        .map((d): Backup => ({
          id: d.name,
          deploymentId: d.label.deploymentId,
          createdAt: d.label.createdAt,
          remove: () => dropOwnDatabase(c, owner, d.name, 'backup', [kind]),
        }));
    await apply([asBackups('snapshot'), asBackups('kept-aside')]);
  });
  return { kept, removed };
}
