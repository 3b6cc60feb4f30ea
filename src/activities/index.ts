import { createAppActivities } from './app.js';
import { createCheckActivities } from './checks.js';
import { createConfigActivities } from './config.js';
import { createDatabaseActivities } from './database.js';
import { createDependencyActivities } from './dependencies.js';
import { keepAlive, type ActivityDeps } from './activityDeps.js';
import { createDriftActivities } from './drift.js';
import { createDriftResetActivities } from './driftReset.js';
import { createLayoutActivities } from './layout.js';
import { createLintActivities } from './lint.js';
import { createMigrationHistoryActivities } from './migrationHistory.js';
import { createMigrationActivities } from './migrations.js';
import { createMigrationTriageActivities } from './migrationTriage.js';
import { createMonitorActivities } from './monitor.js';
import { createNotifyActivities } from './notify.js';
import { createPrismaHazardActivities } from './prismaHazards.js';
import { createRehearsalActivities } from './rehearsal.js';
import { createReleaseActivities } from './release.js';
import { createTemporalActivities } from './temporal.js';
import { createWriteActivities } from './writes.js';

export type { ActivityDeps } from './activityDeps.js';

/** Every activity of safe-deploy, built over the host's dependencies (mutex sample's shape). */
export function createActivities(deps: ActivityDeps) {
  const activities = {
    ...createConfigActivities(deps),
    ...createCheckActivities(deps),
    ...createReleaseActivities(deps),
    ...createLayoutActivities(deps),
    ...createMigrationActivities(deps),
    ...createMigrationHistoryActivities(deps),
    ...createDriftActivities(deps),
    ...createDriftResetActivities(deps),
    ...createMigrationTriageActivities(deps),
    ...createPrismaHazardActivities(deps),
    ...createDatabaseActivities(deps),
    ...createDependencyActivities(deps),
    ...createAppActivities(deps),
    ...createWriteActivities(deps),
    ...createMonitorActivities(deps),
    ...createNotifyActivities(deps),
    ...createLintActivities(deps),
    ...createRehearsalActivities(deps),
    ...createTemporalActivities(),
  };
  return Object.fromEntries(
    Object.entries(activities).map(([name, fn]) => [name, keepAlive(fn as never)]),
  ) as typeof activities;
}

export type Activities = ReturnType<typeof createActivities>;
