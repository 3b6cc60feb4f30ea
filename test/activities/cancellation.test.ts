import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../src/activities/index.js';
import type { TargetConfig } from '../../src/config/schema.js';

/**
 * A cancelled deployment stops the command its running activity started, and the activity ends
 * CANCELLED — not as a failure of its step. (It used to report `DependencyInstallFailed` when a
 * deployment was cancelled during `npm ci`, so the report blamed the release instead of the person
 * who cancelled.)
 */
const dir = mkdtempSync(join(tmpdir(), 'cancel-activity-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const git = (...args: string[]) =>
  execFileSync('git', ['-C', dir, ...args], {
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
  }).trim();

describe('an activity cancelled while its command runs', () => {
  it('kills the command and ends cancelled, not as DependencyInstallFailed', async () => {
    git('init', '-q');
    writeFileSync(join(dir, 'package-lock.json'), '{"packages":{}}\n');
    git('add', '-A');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'lock');
    const pidFile = join(dir, 'install.pid');
    // An "install" that runs for a minute unless killed; it writes its pid so we can check it died.
    const install = [
      process.execPath,
      '-e',
      `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); setTimeout(() => {}, 60000)`,
    ];
    const target = {
      app: 'demo',
      environment: 'test',
      appDir: dir,
      commandEnv: {},
      commands: { install, build: [], restart: ['true'] },
      commandTimeouts: { install: '1 minute', migrate: '1 minute', restart: '1 minute', git: '1 minute' },
    } as unknown as TargetConfig;
    const activities = createActivities({ configPath: join(dir, 'none.json'), env: {} });
    const env = new MockActivityEnvironment();
    const running = env.run(activities.installDependencies, {
      target,
      commit: git('rev-parse', 'HEAD'),
      requiredPackages: [],
      step: 'install-dependencies' as const,
    });
    for (let i = 0; i < 100 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 100));
    expect(existsSync(pidFile)).toBe(true);
    env.cancel();
    const err = await running.catch((e) => e);
    expect(err).toBeInstanceOf(CancelledFailure);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
    expect(alive()).toBe(false);
  });
});
