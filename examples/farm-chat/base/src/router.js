import { bearerToken, verifyToken } from './auth.js';
import { HttpError, readJson, sendJson } from './http.js';

/**
 * Exact-path routing over a table of `{ method, path, auth?, handler }`. A handler gets
 * `{ req, body, user, prisma, config }` and returns `[status, json]`. With `auth`, the bearer
 * token must be valid and its user must still exist.
 */
export function createRouter(routes, { prisma, config }) {
  return async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const candidates = routes.filter((r) => r.path === path);
    const route = candidates.find((r) => r.method === req.method);
    if (!route) {
      if (candidates.length === 0) throw new HttpError(404, 'not found');
      res.setHeader('allow', candidates.map((r) => r.method).join(', '));
      throw new HttpError(405, 'method not allowed');
    }
    let user = null;
    if (route.auth) {
      const userId = verifyToken(bearerToken(req), config.sessionSecret);
      user = userId === null ? null : await prisma.user.findUnique({ where: { id: userId }, select: { id: true, email: true, name: true } });
      if (!user) throw new HttpError(401, 'missing or invalid token');
    }
    const body = req.method === 'POST' ? await readJson(req) : {};
    const [status, json] = await route.handler({ req, body, user, prisma, config });
    sendJson(res, status, json);
  };
}
