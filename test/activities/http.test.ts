import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillTemplate, runHttpChecks, waitHealthy } from '../../src/activities/http.js';

let server: Server;
let base: string;
const seen: { path: string; auth?: string; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ path: req.url!, auth: req.headers.authorization, body });
      res.setHeader('content-type', 'application/json');
      if (req.url === '/login') return res.end(JSON.stringify({ token: 'tok-123' }));
      if (req.url === '/me')
        return res.end(
          JSON.stringify({
            configured: req.headers.authorization === 'Bearer tok-123',
            leaked: 'password=hunter2-secret',
          }),
        );
      res.statusCode = 503;
      res.end(JSON.stringify({ status: 'down' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

describe('HTTP checks', () => {
  it('fills {{names}} through nested JSON', () => {
    expect(
      fillTemplate({ a: ['x-{{runId}}', { b: '{{token}}' }], n: 1, keep: '{{unknown}}' }, { runId: 'r1', token: 't' }),
    ).toEqual({ a: ['x-r1', { b: 't' }], n: 1, keep: '{{unknown}}' });
  });

  it('captures a token and uses it; reports status and JSON mismatches; scrubs secrets', async () => {
    const results = await runHttpChecks(
      base,
      [
        {
          name: 'login',
          method: 'POST',
          path: '/login',
          body: { user: 'smoke-{{runId}}' },
          expectStatus: 200,
          capture: { token: 'token' },
        },
        {
          name: 'me',
          method: 'GET',
          path: '/me',
          bearer: '{{token}}',
          expectStatus: 200,
          expectJson: { configured: true },
        },
        { name: 'me-wrong', method: 'GET', path: '/me', expectStatus: 200, expectJson: { configured: true } },
        { name: 'down', method: 'GET', path: '/down', expectStatus: 200 },
      ],
      'run42',
      ['hunter2-secret'],
    );
    expect(results.map((r) => [r.name, r.ok])).toEqual([
      ['login', true],
      ['me', true],
      ['me-wrong', false],
      ['down', false],
    ]);
    expect(seen[0]!.body).toBe('{"user":"smoke-run42"}');
    expect(seen[1]!.auth).toBe('Bearer tok-123');
    expect(results[2]!.detail).toContain('configured=false, expected true');
    expect(results[3]!.detail).toContain('503, expected 200');
    expect(JSON.stringify(results)).not.toContain('hunter2-secret');
  });

  it('gives up on an unhealthy app at the deadline', async () => {
    const r = await waitHealthy(`${base}/down`, 600);
    expect(r.ok).toBe(false);
    expect(r.last).toContain('503');
  });
});
