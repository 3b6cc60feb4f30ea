import { describe, expect, it } from 'vitest';
import {
  deployRequestSchema,
  describeIssues,
  environmentConfigSchema,
  environmentProblems,
  workerConfigSchema,
} from '../../src/config/schema.js';

describe('deploy request', () => {
  it('accepts a plain request and fills defaults', () => {
    expect(deployRequestSchema.parse({ app: 'farm-chat', environment: 'production', ref: 'v2' })).toEqual({
      app: 'farm-chat',
      environment: 'production',
      ref: 'v2',
      dryRun: false,
    });
    expect(deployRequestSchema.parse({ app: 'a', environment: 'b', ref: 'release/2026-11.1' }).ref).toBe(
      'release/2026-11.1',
    );
  });

  it.each([
    ['--upload-pack=x', 'option-looking'],
    ['../../etc', 'path escape'],
    ['v2 ; rm -rf /', 'shell'],
    ['v2.lock', 'lock'],
    ['', 'empty'],
  ])('refuses the ref %j (%s)', (ref) => {
    const r = deployRequestSchema.safeParse({ app: 'farm-chat', environment: 'production', ref });
    expect(r.success).toBe(false);
    expect(describeIssues(r.error!, 'request')).toContain('request.ref');
  });

  it('names every bad field, unknown ones included', () => {
    const r = deployRequestSchema.safeParse({
      app: 'Farm Chat',
      environment: 'production',
      ref: 'v2',
      dryRun: 'yes',
      colour: 'blue',
    });
    const text = describeIssues(r.error!, 'request');
    expect(text).toContain('request.app');
    expect(text).toContain('request.dryRun');
    expect(text).toContain('colour');
  });
});

describe('worker config', () => {
  const minimal = {
    appDir: '/srv/app',
    database: { urlEnv: 'DATABASE_URL' },
    backup: { dir: '/var/backups/app' },
    commands: { restart: ['systemctl', 'restart', 'app'] },
    writes: { policy: 'detect' },
    baseUrl: 'http://127.0.0.1:3000',
  };

  it('fills the runbook defaults: npm ci, the app own Prisma CLI, /health', () => {
    const c = environmentConfigSchema.parse(minimal);
    expect(c.commands.install).toEqual(['npm', 'ci', '--no-audit', '--no-fund']);
    expect(c.commands.migrateDeploy).toEqual(['npx', '--no-install', 'prisma', 'migrate', 'deploy']);
    expect(c.database).toEqual({
      urlEnv: 'DATABASE_URL',
      appEnvName: 'DATABASE_URL',
      maintenanceDatabase: 'postgres',
      lockTimeout: '10 seconds',
      statementTimeout: '1 hour',
      outageWait: '5 minutes',
    });
    expect(c.health).toEqual({ path: '/health', timeout: '60 seconds' });
    expect(c.backup).toEqual({
      dir: '/var/backups/app',
      method: 'dump',
      dump: true,
      keep: 3,
      format: 'directory',
      jobs: 2,
      compression: 1,
      minFreeFactor: 2,
    });
  });

  it('takes a backup method: a snapshot may go without its disaster-recovery dump, a dump may not', () => {
    const snapshot = environmentConfigSchema.parse({
      ...minimal,
      backup: { dir: '/b', method: 'snapshot', dump: false, keep: 5 },
    });
    expect(snapshot.backup).toMatchObject({ method: 'snapshot', dump: false, keep: 5 });
    const r = environmentConfigSchema.safeParse({ ...minimal, backup: { dir: '/b', dump: false } });
    expect(describeIssues(r.error!, 'env')).toBe(
      "env.backup.dump: dump: false needs method 'snapshot': the dump is method 'dump''s only backup",
    );
    const bad = environmentConfigSchema.safeParse({
      ...minimal,
      backup: { dir: '/b', method: 'copy', keep: 0, compression: 11 },
    });
    const text = describeIssues(bad.error!, 'env');
    expect(text).toContain('env.backup.method');
    expect(text).toContain('env.backup.keep');
    expect(text).toContain('env.backup.compression');
  });

  it('makes writes an explicit choice: the default policy stop needs its two commands', () => {
    const { writes: _, ...noWrites } = minimal;
    const r = environmentConfigSchema.safeParse(noWrites);
    expect(r.success).toBe(false);
    expect(describeIssues(r.error!, 'env')).toContain(
      "env.writes: policy 'stop' needs both `stop` and `resume` commands",
    );
    const ok = environmentConfigSchema.parse({
      ...minimal,
      writes: { stop: ['appctl', 'maintenance-on'], resume: ['appctl', 'maintenance-off'] },
    });
    expect(ok.writes).toEqual({
      policy: 'stop',
      stop: ['appctl', 'maintenance-on'],
      resume: ['appctl', 'maintenance-off'],
    });
    expect(ok.monitor).toEqual({ minutes: 0, interval: '30 seconds' });
    expect(ok.approval).toEqual({ timeout: '1 hour' });
  });

  it("stopAt 'database': policy stop with no commands, a role of at most 63 bytes, and only GET checks", () => {
    const db = environmentConfigSchema.parse({ ...minimal, writes: { stopAt: 'database', role: 'blog"gér' } });
    expect(db.writes).toEqual({ policy: 'stop', stopAt: 'database', role: 'blog"gér' });
    expect(environmentProblems(db)).toEqual([]);
    const refused = (writes: unknown) =>
      describeIssues(environmentConfigSchema.safeParse({ ...minimal, writes }).error!, 'env');
    expect(refused({ policy: 'detect', stopAt: 'database' })).toContain("stopAt 'database' is policy 'stop' without");
    expect(refused({ stopAt: 'database', stop: ['x'], resume: ['y'] })).toContain('remove `stop`/`resume`');
    expect(refused({ policy: 'detect', role: 'app' })).toContain("`role` is the role stopAt 'database' makes");
    expect(refused({ stopAt: 'database', role: 'é'.repeat(32) })).toContain('at most 63 bytes');
    const writing = environmentConfigSchema.parse({
      ...minimal,
      writes: { stopAt: 'database' },
      checks: [
        { name: 'feed', path: '/api/feed' },
        { name: 'signup', method: 'POST', path: '/api/user', body: {} },
      ],
    });
    expect(environmentProblems(writing)).toEqual([
      {
        path: 'checks.1',
        message: expect.stringContaining('POST /api/user (signup) would write while writes are paused'),
      },
    ]);
  });

  it('logs: an absolute file or a command argv, never a shell string', () => {
    expect(environmentConfigSchema.parse({ ...minimal, logs: '/srv/app//run/web.log' }).logs).toBe(
      '/srv/app/run/web.log',
    );
    expect(environmentConfigSchema.parse({ ...minimal, logs: ['journalctl', '-u', 'app', '-n', '50'] }).logs).toEqual([
      'journalctl',
      '-u',
      'app',
      '-n',
      '50',
    ]);
    for (const logs of ['run/web.log', 'journalctl -u app | tail', [], 50])
      expect(describeIssues(environmentConfigSchema.safeParse({ ...minimal, logs }).error!, 'env')).toContain(
        'env.logs',
      );
  });

  it('refuses shell strings, relative paths, secret values and bad durations, naming each field', () => {
    const bad = {
      apps: {
        'farm-chat': {
          production: {
            ...minimal,
            appDir: 'srv/app',
            database: { urlEnv: 'postgres://u:p@h/db' },
            commands: { restart: 'systemctl restart app' },
            health: { timeout: 'soon' },
          },
        },
      },
    };
    const r = workerConfigSchema.safeParse(bad);
    const text = describeIssues(r.error!, '');
    expect(text).toContain('apps.farm-chat.production.appDir: an absolute path');
    expect(text).toContain('apps.farm-chat.production.database.urlEnv');
    expect(text).toContain('apps.farm-chat.production.commands.restart');
    expect(text).toContain('apps.farm-chat.production.health.timeout');
  });
});
