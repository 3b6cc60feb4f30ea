import { createAppActivities } from './app.js';
import { createCheckActivities } from './checks.js';
import { createConfigActivities } from './config.js';
import { createDatabaseActivities } from './database.js';
import { createDependencyActivities } from './dependencies.js';
import type { ActivityDeps } from './deps.js';
import { createDriftActivities } from './drift.js';
import { createMigrationHistoryActivities } from './migrationHistory.js';
import { createMigrationActivities } from './migrations.js';
import { createPrismaHazardActivities } from './prismaHazards.js';
import { createReleaseActivities } from './release.js';

export type { ActivityDeps } from './deps.js';

/** Every activity of safe-deploy, built over the host's dependencies (mutex sample's shape). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createConfigActivities(deps),
    ...createCheckActivities(deps),
    ...createReleaseActivities(deps),
    ...createMigrationActivities(deps),
    ...createMigrationHistoryActivities(deps),
    ...createDriftActivities(deps),
    ...createPrismaHazardActivities(deps),
    ...createDatabaseActivities(deps),
    ...createDependencyActivities(deps),
    ...createAppActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
