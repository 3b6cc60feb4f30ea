import { createAppActivities } from './app.js';
import { createCheckActivities } from './checks.js';
import { createConfigActivities } from './config.js';
import { createDatabaseActivities } from './database.js';
import { createDependencyActivities } from './dependencies.js';
import type { ActivityDeps } from './deps.js';
import { createMigrationActivities } from './migrations.js';
import { createNotifyActivities } from './notify.js';
import { createReleaseActivities } from './release.js';

export type { ActivityDeps } from './deps.js';

/** Every activity of safe-deploy, built over the host's dependencies (mutex sample's shape). */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createConfigActivities(deps),
    ...createCheckActivities(deps),
    ...createReleaseActivities(deps),
    ...createMigrationActivities(deps),
    ...createDatabaseActivities(deps),
    ...createDependencyActivities(deps),
    ...createAppActivities(deps),
    ...createNotifyActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
