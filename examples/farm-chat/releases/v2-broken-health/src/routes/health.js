// BROKEN ON PURPOSE (release v2-broken-health): /health now also counts Satshot tokens, but through
// `prisma.satshotTokens` (the table's name) instead of the model accessor `prisma.satshotToken`.
// That is undefined, so every health request throws a TypeError, is caught below and answers
// 503: the app runs, but never becomes healthy, and the restart step fails its health check.
import { existsSync } from 'node:fs';
import { stats } from '../stats.js';
import { briefError } from '../log.js';

const DB_TIMEOUT_MS = 3000;

const withTimeout = (promise, ms) =>
  Promise.race([promise, new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);

/** GET /health: 200 only when the database answers a query, so a deploy tool can trust it; also server errors so far. */
export const healthRoutes = [
  {
    method: 'GET',
    path: '/health',
    handler: async ({ prisma, config }) => {
      try {
        await withTimeout(prisma.$queryRaw`SELECT 1`, DB_TIMEOUT_MS);
        const satshotTokens = await withTimeout(prisma.satshotTokens.count(), DB_TIMEOUT_MS);
        const maintenance = Boolean(config.maintenanceFile && existsSync(config.maintenanceFile));
        return [200, { status: 'ok', version: config.version, database: 'ok', maintenance, errors: stats.errors, satshotTokens }];
      } catch (err) {
        console.error(`health: database check failed: ${briefError(err)}`);
        return [503, { status: 'error', version: config.version, database: 'unreachable' }];
      }
    },
  },
];
