import { describe, expect, it } from 'vitest';
import { deploymentIdFor, migrationBlocker, requiredEnvNames, requiredPackages } from '../../src/plan/preflight.js';
import { manualSteps } from '../../src/plan/manualRollbackSteps.js';

const manifest = (o: Partial<{ requiredEnv: string[]; requiredPackages: string[] }> = {}) => ({
  requiredEnv: [],
  requiredPackages: [],
  expect: { tables: [], columns: [] },
  checks: [],
  ...o,
});

describe('preflight planning', () => {
  it('needs the database URL variable, the config names and the release names, once each', () => {
    expect(
      requiredEnvNames(
        { database: { urlEnv: 'DATABASE_URL' } as never, requiredEnv: ['SESSION_SECRET'] },
        manifest({ requiredEnv: ['SESSION_SECRET', 'SATSHOT_PASSWORD'] }),
      ),
    ).toEqual(['DATABASE_URL', 'SESSION_SECRET', 'SATSHOT_PASSWORD']);
    expect(requiredPackages({ requiredPackages: ['pg'] }, manifest({ requiredPackages: ['pg', 'xml2js'] }))).toEqual([
      'pg',
      'xml2js',
    ]);
  });

  it.each([
    [{ status: 'clean', failed: [], unknownToTarget: [] }, undefined],
    [{ status: 'pending', failed: [], unknownToTarget: [] }, undefined],
    [{ status: 'failed', failed: ['m2'], unknownToTarget: [] }, 'a previous migration failed and is unresolved (m2)'],
    [{ status: 'clean', failed: ['m2'], unknownToTarget: [] }, 'a previous migration failed'],
    [{ status: 'drift', failed: [], unknownToTarget: [] }, 'drifted'],
    [{ status: 'clean', failed: [], unknownToTarget: ['m9'] }, 'migrations the target release does not contain: m9'],
    [{ status: 'unknown', failed: [], unknownToTarget: [] }, 'does not understand'],
  ] as const)('gates %j', (facts, expected) => {
    const blocker = migrationBlocker({
      ...facts,
      failed: [...facts.failed],
      unknownToTarget: [...facts.unknownToTarget],
    });
    if (expected === undefined) expect(blocker).toBeUndefined();
    else expect(blocker?.what).toContain(expected);
  });

  it('derives file- and database-safe deployment ids, unique per run', () => {
    expect(deploymentIdFor('deploy farm/chat:v2', '0123456789abcdef')).toBe('deploy-farm-chat-v2-01234567');
    expect(deploymentIdFor('x'.repeat(200), 'r'.repeat(36))).toHaveLength(89);
  });
});

describe('manual rollback steps', () => {
  it('gives the exact commands left, quoting arguments for a shell', () => {
    const steps = manualSteps(['reactivate-release', 'reinstall-dependencies', 'restart-previous'], {
      target: {
        app: 'a',
        environment: 'e',
        appDir: '/srv/app',
        database: { urlEnv: 'DATABASE_URL' } as never,
        commands: {
          install: ['npm', 'ci'],
          build: [['npm', 'run', 'build']],
          restart: ['sudo', 'systemctl', 'restart', "my app's"],
          migrateDeploy: [],
          migrateStatus: [],
          migrateReset: [],
          migrateResolve: 'sql',
        },
      },
      previousCommit: 'abc123',
    });
    expect(steps).toEqual([
      'put the code back: git -C /srv/app checkout --detach abc123',
      'reinstall dependencies: cd /srv/app && npm ci && npm run build',
      "restart the app: sudo systemctl restart 'my app'\\''s'",
    ]);
  });

  it("writes paused at the database: the by-hand pause and resume name the role's setting, quoted", () => {
    const steps = manualSteps(['stop-writes-again', 'resume-writes-after-rollback'], {
      target: {
        app: 'a',
        environment: 'e',
        appDir: '/srv/app',
        database: { urlEnv: 'DATABASE_URL' } as never,
        commands: { install: ['npm', 'ci'], build: [], restart: ['app', 'restart'] } as never,
        writes: { policy: 'stop', stopAt: 'database', role: 'blog"gér' },
      },
    });
    expect(steps).toHaveLength(2);
    expect(steps[0]).toContain(
      `ALTER ROLE "blog""gér" IN DATABASE <the database of $DATABASE_URL> SET default_transaction_read_only = 'oN'`,
    );
    expect(steps[1]).toContain('RESET default_transaction_read_only');
    expect(steps[1]).toContain('pg_terminate_backend');
  });
});
