import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runHttpChecks, waitHealthy } from '../../src/activities/http.js';
import { createMonitorActivities } from '../../src/activities/monitor.js';
import { createReleaseActivities } from '../../src/activities/release.js';
import {
  describeIssues,
  environmentConfigSchema,
  releaseManifestSchema,
  type HttpCheck,
  type TargetConfig,
} from '../../src/config/schema.js';

/**
 * Issue 12, item 3: a check path is a path on the app's origin. The maintenance bypass header and
 * the checks' bearer tokens must never reach another origin — not through a protocol-relative
 * path in a release manifest, not through a value captured from a response, not through a redirect.
 */

const BYPASS = 'bypass-0f1e2d3c4b5a-token';

/** Two real listeners: the app (baseUrl) and a thief on another port, i.e. another origin. */
function listener(handle: (path: string, res: ServerResponse) => void) {
  const seen: { path: string; headers: IncomingHttpHeaders }[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ path: req.url!, headers: req.headers });
      handle(req.url!, res);
    });
  });
  return { server, seen };
}
let app: ReturnType<typeof listener>;
let thief: ReturnType<typeof listener>;
let base: string;
let thiefHost: string;

async function listen(s: Server): Promise<number> {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

beforeAll(async () => {
  thief = listener((_path, res) => res.end('{"stolen":true}'));
  thiefHost = `127.0.0.1:${await listen(thief.server)}`;
  app = listener((path, res) => {
    res.setHeader('content-type', 'application/json');
    if (path === '/login')
      return res.end(
        JSON.stringify({ token: 'tok-1', next: `/${thiefHost}/steal`, nextBackslash: `\\${thiefHost}/steal` }),
      );
    if (path === '/away') return res.writeHead(302, { location: `http://${thiefHost}/steal` }).end();
    if (path === '/moved') return res.writeHead(302, { location: '/health' }).end();
    if (path === '/metrics') return res.end('{"errors":3}');
    res.end('{"status":"ok"}');
  });
  base = `http://127.0.0.1:${await listen(app.server)}`;
});
afterAll(() => {
  for (const s of [app.server, thief.server]) {
    s.closeAllConnections();
    s.close();
  }
});
beforeEach(() => {
  app.seen.length = 0;
  thief.seen.length = 0;
});

const check = (c: Partial<HttpCheck> & { name: string; path: string }): HttpCheck => ({
  method: 'GET',
  expectStatus: 200,
  ...c,
});

describe('check, health and error-counter paths are paths on the app origin (schema)', () => {
  const bad = [
    `//127.0.0.1:47999/steal`,
    '/\\127.0.0.1:47999/steal',
    '/\t/127.0.0.1:47999/steal',
    '/\n/127.0.0.1:47999/steal',
    'http://127.0.0.1:47999/steal',
    'steal',
    '/../admin',
    '/a/%2e%2e/admin',
    '/a/.%2E/admin',
    '/a//b',
  ];
  it.each(bad)('a release manifest check path %j is refused, naming the field', (path) => {
    const parsed = releaseManifestSchema.safeParse({ checks: [{ name: 'steal', path }] });
    expect(parsed.success).toBe(false);
    expect(describeIssues(parsed.error!, '.safe-deploy.json')).toContain('.safe-deploy.json.checks.0.path');
  });

  it.each([
    '/health',
    '/auth/login',
    '/chat/messages?since=1',
    '/redirect?to=//elsewhere',
    '/users/{{userId}}',
    '/a/..b/c',
  ])('a plain path %j is accepted', (path) => {
    expect(releaseManifestSchema.safeParse({ checks: [{ name: 'ok', path }] }).success).toBe(true);
  });

  const env = {
    appDir: '/srv/app',
    database: { urlEnv: 'DATABASE_URL' },
    backup: { dir: '/var/backups' },
    commands: { restart: ['true'] },
    writes: { policy: 'detect' },
    baseUrl: 'http://127.0.0.1:3000',
  };
  const problems = (over: Record<string, unknown>) => {
    const r = environmentConfigSchema.safeParse({ ...env, ...over });
    return r.success ? '' : describeIssues(r.error, 'e');
  };
  it.each(['file:///etc/passwd', 'gopher://127.0.0.1:70/x', 'ftp://host/', 'javascript:alert(1)', 'data:text/plain,x'])(
    'baseUrl %j is refused: http(s) only',
    (baseUrl) => {
      expect(problems({ baseUrl })).toContain('e.baseUrl: an http:// or https:// URL');
    },
  );
  it.each(['http://127.0.0.1:3000', 'https://app.example.com', 'http://[::1]:8080/'])(
    'baseUrl %j is accepted',
    (baseUrl) => {
      expect(problems({ baseUrl })).toBe('');
    },
  );
  it('health.path, monitor.errorCounter.path and notify.webUiUrl are checked too', () => {
    expect(problems({ health: { path: '//169.254.169.254/latest' } })).toContain('e.health.path');
    expect(problems({ monitor: { errorCounter: { path: '/\\evil.example/x', field: 'errors' } } })).toContain(
      'e.monitor.errorCounter.path',
    );
    expect(problems({ notify: { webhookUrlEnv: 'HOOK', webUiUrl: 'javascript:alert(1)' } })).toContain(
      'e.notify.webUiUrl',
    );
    expect(problems({ notify: { webhookUrlEnv: 'HOOK', webUiUrl: 'http://temporal.example:8233' } })).toBe('');
  });
});

describe('the bypass header and bearer tokens reach the app origin only (real listeners)', () => {
  const headers = { 'x-maintenance-bypass': BYPASS };
  const thiefGotNothing = () => expect(thief.seen).toEqual([]);

  it('refuses a protocol-relative check path that got past the schema (a hand-built or old target)', async () => {
    const [r] = await runHttpChecks(
      base,
      [check({ name: 'steal', path: `//${thiefHost}/steal`, bearer: 'tok-secret' })],
      'run1',
      [],
      headers,
    );
    expect(r!.ok).toBe(false);
    expect(r!.detail).toContain('refused');
    thiefGotNothing();
  });

  it('refuses a path that a captured value turns into another origin after {{var}} filling', async () => {
    const results = await runHttpChecks(
      base,
      [
        check({ name: 'login', path: '/login', capture: { token: 'token', next: 'next', back: 'nextBackslash' } }),
        check({ name: 'next', path: '/{{next}}', bearer: '{{token}}' }),
        check({ name: 'back', path: '/{{back}}', bearer: '{{token}}' }),
      ],
      'run2',
      [],
      headers,
    );
    expect(results.map((r) => [r.name, r.ok])).toEqual([
      ['login', true],
      ['next', false],
      ['back', false],
    ]);
    expect(results[1]!.detail).toContain('refused');
    thiefGotNothing();
    expect(app.seen.map((s) => s.path)).toEqual(['/login']);
  });

  it('does not follow a redirect to another origin, but does follow one on the app origin with its headers', async () => {
    const results = await runHttpChecks(
      base,
      [
        check({ name: 'away', path: '/away', bearer: 'tok-secret' }),
        check({ name: 'moved', path: '/moved', bearer: 'tok-secret' }),
      ],
      'run3',
      [],
      headers,
    );
    expect(results.map((r) => [r.name, r.ok])).toEqual([
      ['away', false],
      ['moved', true],
    ]);
    expect(results[0]!.detail).toContain('another origin');
    thiefGotNothing();
    expect(app.seen.map((s) => [s.path, s.headers['x-maintenance-bypass'], s.headers.authorization])).toEqual([
      ['/away', BYPASS, 'Bearer tok-secret'],
      ['/moved', BYPASS, 'Bearer tok-secret'],
      ['/health', BYPASS, 'Bearer tok-secret'],
    ]);
  });

  it('health polling does not follow a redirect to another origin either', async () => {
    const h = await waitHealthy(`${base}/away`, 300);
    expect(h.ok).toBe(false);
    thiefGotNothing();
  });
});

describe('monitoring looks at the app origin only (real listeners)', () => {
  const monitorTarget = (errorCounterPath: string): TargetConfig => {
    const env = environmentConfigSchema.parse({
      appDir: '/srv/app',
      database: { urlEnv: 'DATABASE_URL' },
      backup: { dir: '/var/backups' },
      commands: { restart: ['true'] },
      writes: { policy: 'detect' },
      baseUrl: base,
    });
    // Built past the schema, as a target from an older history could be.
    return {
      ...env,
      app: 'demo',
      environment: 'test',
      monitor: { ...env.monitor, errorCounter: { path: errorCounterPath, field: 'errors', maxIncrease: 0 } },
    };
  };
  const { monitorOnce } = createMonitorActivities({ configPath: '/nonexistent', env: {} });

  it('reads the error counter on the app origin', async () => {
    const r = (await new MockActivityEnvironment().run(monitorOnce, {
      target: monitorTarget('/metrics'),
      tick: 1,
    })) as { counter?: number };
    expect(r.counter).toBe(3);
  });

  it('refuses an error-counter path naming another host: the look fails, the other host gets nothing', async () => {
    const err = await new MockActivityEnvironment()
      .run(monitorOnce, { target: monitorTarget(`//${thiefHost}/steal`), tick: 1 })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).type).toBe('MonitoringFailed');
    expect((err as ApplicationFailure).message).toContain('monitor.errorCounter.path');
    expect(thief.seen).toEqual([]);
  });
});

describe('a release manifest is hostile input: resolveRelease refuses a check naming another host (real git repo)', () => {
  let root: string;
  let target: TargetConfig;
  const git = (cwd: string, ...args: string[]) =>
    execFileSync('git', ['-C', cwd, ...args], {
      encoding: 'utf8',
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@t',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@t',
      },
    }).trim();

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'sd-manifest-url-'));
    const origin = join(root, 'origin');
    mkdirSync(origin);
    git(origin, 'init', '--quiet', '--initial-branch=main');
    writeFileSync(join(origin, 'README'), 'v1\n');
    git(origin, 'add', '.');
    git(origin, 'commit', '--quiet', '-m', 'v1');
    git(origin, 'tag', 'v1');
    writeFileSync(
      join(origin, '.safe-deploy.json'),
      JSON.stringify({ checks: [{ name: 'steal', path: '//127.0.0.1:47999/steal' }] }),
    );
    git(origin, 'add', '.');
    git(origin, 'commit', '--quiet', '-m', 'v2');
    git(origin, 'tag', 'v2');
    execFileSync('git', ['clone', '--quiet', '--branch', 'v1', origin, join(root, 'app')], { stdio: 'ignore' });
    const env = environmentConfigSchema.parse({
      appDir: join(root, 'app'),
      database: { urlEnv: 'DATABASE_URL' },
      backup: { dir: join(root, 'backups') },
      commands: { restart: ['true'] },
      writes: { policy: 'detect' },
      baseUrl: base,
    });
    target = { ...env, app: 'demo', environment: 'test' };
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('fails with a non-retryable InvalidConfig naming .safe-deploy.json.checks.0.path', async () => {
    const { resolveRelease } = createReleaseActivities({ configPath: '/nonexistent', env: {} });
    const err = await new MockActivityEnvironment().run(resolveRelease, { target, ref: 'v2' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    const f = err as ApplicationFailure;
    expect(f.type).toBe('InvalidConfig');
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toContain('.safe-deploy.json.checks.0.path');
    expect(f.message).toContain('//');
  });
});
