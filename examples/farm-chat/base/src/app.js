import { HttpError, sendJson } from './http.js';
import { integrations } from './integrations/index.js';
import { briefError } from './log.js';
import { createRouter } from './router.js';
import { authRoutes } from './routes/auth.js';
import { chatRoutes } from './routes/chat.js';
import { healthRoutes } from './routes/health.js';
import { integrationRoutes } from './routes/integrations.js';

/** The request handler: routing, JSON errors, and one log line per request (path only, no query or body). */
export function createApp({ prisma, config }) {
  const route = createRouter([...healthRoutes, ...authRoutes, ...chatRoutes, ...integrationRoutes(integrations)], { prisma, config });
  return async (req, res) => {
    const started = Date.now();
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    res.on('finish', () => console.log(`${new Date().toISOString()} ${req.method} ${path} ${res.statusCode} ${Date.now() - started}ms`));
    try {
      await route(req, res);
    } catch (err) {
      if (err instanceof HttpError) return sendJson(res, err.status, { error: err.message });
      console.error(`${req.method} ${path} failed: ${briefError(err)}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    }
  };
}
