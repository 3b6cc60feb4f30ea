import { existsSync } from 'node:fs';
import { timingSafeEqual } from 'node:crypto';
import { HttpError, sendJson } from './http.js';
import { integrations } from './integrations/index.js';
import { briefError } from './log.js';
import { createRouter } from './router.js';
import { stats } from './stats.js';
import { authRoutes } from './routes/auth.js';
import { chatRoutes } from './routes/chat.js';
import { healthRoutes } from './routes/health.js';
import { integrationRoutes } from './routes/integrations.js';

const sameSecret = (given, expected) => {
  const a = Buffer.from(String(given ?? ''));
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

/**
 * Maintenance mode: while the flag file exists, requests that could write (anything but GET and
 * HEAD) are refused with 503, except those carrying the bypass token — a deployment's own checks.
 */
function writesPaused(req, config) {
  if (req.method === 'GET' || req.method === 'HEAD') return false;
  if (!config.maintenanceFile || !existsSync(config.maintenanceFile)) return false;
  return !(config.maintenanceBypassToken && sameSecret(req.headers['x-maintenance-bypass'], config.maintenanceBypassToken));
}

/** The request handler: routing, JSON errors, and one log line per request (path only, no query or body). */
export function createApp({ prisma, config }) {
  const route = createRouter([...healthRoutes, ...authRoutes, ...chatRoutes, ...integrationRoutes(integrations)], { prisma, config });
  return async (req, res) => {
    const started = Date.now();
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    res.on('finish', () => {
      if (res.statusCode >= 500 && res.statusCode !== 503) stats.errors++;
      console.log(`${new Date().toISOString()} ${req.method} ${path} ${res.statusCode} ${Date.now() - started}ms`);
    });
    try {
      if (writesPaused(req, config)) throw new HttpError(503, 'maintenance: writes are paused during a deployment, try again in a minute');
      await route(req, res);
    } catch (err) {
      if (err instanceof HttpError) return sendJson(res, err.status, { error: err.message });
      console.error(`${req.method} ${path} failed: ${briefError(err)}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    }
  };
}
