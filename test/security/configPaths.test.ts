import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLayoutActivities, stagedDir } from '../../src/activities/layout.js';
import {
  describeIssues,
  environmentConfigSchema,
  environmentProblems,
  type TargetConfig,
} from '../../src/config/schema.js';

/**
 * Issue 12, item 8: `backup.dir` (and the other configured paths) were taken as written. They are
 * normalised where the config is parsed — one spelling for every join and prefix check — and a
 * `..` segment, `/` itself or a control character is refused, naming the field.
 */
const base = {
  appDir: '/srv/app',
  database: { urlEnv: 'DATABASE_URL' },
  backup: { dir: '/var/backups/app' },
  commands: { restart: ['true'] },
  writes: { policy: 'detect' },
  baseUrl: 'http://127.0.0.1:3000',
};
const parse = (over: Record<string, unknown>) => environmentConfigSchema.safeParse({ ...base, ...over });
const issues = (over: Record<string, unknown>) => {
  const r = parse(over);
  return r.success ? '' : describeIssues(r.error, 'e');
};

describe('absolute paths: normalised, `..` and / refused', () => {
  it.each([
    ['/var/backups/app/', '/var/backups/app'],
    ['/var//backups/./app//', '/var/backups/app'],
  ])('backup.dir %j is %j, and so are workDir, appDir, envFile', (written, normal) => {
    const r = parse({ backup: { dir: written }, workDir: written, appDir: written, envFile: written });
    expect(r.success).toBe(true);
    expect([r.data!.backup.dir, r.data!.workDir, r.data!.appDir, r.data!.envFile]).toEqual([
      normal,
      normal,
      normal,
      normal,
    ]);
  });

  it.each([
    ['backup.dir', { backup: { dir: '/var/backups/../../etc' } }, '.. segments'],
    ['backup.dir', { backup: { dir: '/' } }, 'other than /'],
    ['backup.dir', { backup: { dir: 'backups' } }, 'an absolute path'],
    ['workDir', { workDir: '/srv/work/..' }, '.. segments'],
    ['appDir', { appDir: '/srv/app/../other' }, '.. segments'],
    ['envFile', { envFile: '/srv/app/.env\n' }, 'control characters'],
  ])('%s: %j is refused, naming the field', (field, over, why) => {
    expect(issues(over)).toContain(`e.${field}: an absolute path`);
    expect(issues(over)).toContain(why);
  });

  it("a trailing slash on the releases layout's appDir is the `current` symlink all the same", () => {
    const r = parse({
      appDir: '/srv/app/current/',
      codeLayout: 'releases',
      releases: { repository: '/srv/app/origin.git' },
    });
    expect(r.success).toBe(true);
    expect(r.data!.appDir).toBe('/srv/app/current');
    expect(environmentProblems(r.data!)).toEqual([]);
  });
});

describe('repository paths (migrationsDir, manifestFile): relative, normalised, never climbing out', () => {
  it('normalises ./prisma/migrations/ and deploy//manifest.json', () => {
    const r = parse({ migrationsDir: './prisma/migrations/', manifestFile: 'deploy//manifest.json' });
    expect([r.data!.migrationsDir, r.data!.manifestFile]).toEqual(['prisma/migrations', 'deploy/manifest.json']);
  });
  it.each([
    ['migrationsDir', '../other-app/prisma/migrations'],
    ['migrationsDir', '/srv/other/prisma/migrations'],
    ['manifestFile', '../../etc/passwd'],
    ['manifestFile', 'a/%2e%2e/../../b'],
    ['manifestFile', '.'],
  ])('%s %j is refused, naming the field', (field, value) => {
    expect(issues({ [field]: value })).toContain(`e.${field}: a path`);
  });
});

describe('one spelling downstream: a staged copy under a workDir written with a trailing slash is removed (real files)', () => {
  const root = mkdtempSync(join(tmpdir(), 'sd-paths-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('removeStagedRelease recognises its own scratch copy and removes it', async () => {
    const env = environmentConfigSchema.parse({ ...base, workDir: `${root}/work/` });
    const t: TargetConfig = { ...env, app: 'demo', environment: 'test' };
    const dir = stagedDir(t, 'dep-1', 'abc123', '2026-12-01T00:00:00Z');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{}');
    const { removeStagedRelease } = createLayoutActivities({ configPath: '/nonexistent', env: {} });
    expect(await removeStagedRelease({ target: t, dir })).toEqual({ removed: true });
    expect(existsSync(dir)).toBe(false);
  });
});
