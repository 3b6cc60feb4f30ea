import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { npmDiagnosis } from '../../src/activities/dependencies.js';
import { createActivities } from '../../src/activities/index.js';
import type { TargetConfig } from '../../src/config/schema.js';

/**
 * `npm ci` refusing a lockfile that does not match package.json (release v2-broken-install) fails
 * the same way every time: the failure must say what npm said (not the usage text it appends) and
 * must not be retried.
 */
const EUSAGE = readFileSync(new URL('../fixtures/npm-ci-eusage.txt', import.meta.url), 'utf8'); // npm 11.6, real output

describe("npm's diagnosis", () => {
  it('keeps the lines that say what is wrong, without the usage text', () => {
    expect(npmDiagnosis(EUSAGE)).toEqual({
      code: 'EUSAGE',
      text: '`npm ci` can only install packages when your package.json and package-lock.json or npm-shrinkwrap.json are in sync. Please update your lock file with `npm install` before continuing. Missing: farm-chat-field-geometry@1.0.0 from lock file',
    });
  });

  it('reads npm 9 (npm ERR!) too, and nothing from output without a code', () => {
    expect(
      npmDiagnosis(
        'npm ERR! code ETARGET\nnpm ERR! notarget No matching version found for xml2js@9.9.9.\nnpm ERR! A complete log of this run can be found in: /x.log\n',
      ),
    ).toEqual({ code: 'ETARGET', text: 'notarget No matching version found for xml2js@9.9.9.' });
    expect(npmDiagnosis('Segmentation fault\n')).toBeUndefined();
  });
});

const dir = mkdtempSync(join(tmpdir(), 'install-failure-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('installDependencies when npm ci refuses the lockfile', () => {
  it("fails once, non-retryable, with npm's reason in the message", async () => {
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', dir, ...args], {
        encoding: 'utf8',
        env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
      }).trim();
    git('init', '-q');
    writeFileSync(join(dir, 'package-lock.json'), '{"packages":{}}\n');
    writeFileSync(join(dir, 'npm-output.txt'), EUSAGE);
    git('add', '-A');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'release');
    // Stands in for npm ci: prints what npm 11 prints for an out-of-sync lockfile and exits 1.
    const install = [
      process.execPath,
      '-e',
      "process.stderr.write(require('fs').readFileSync('npm-output.txt', 'utf8')); process.exit(1)",
    ];
    const target = {
      app: 'demo',
      environment: 'test',
      appDir: dir,
      commandEnv: {},
      commands: { install, build: [], restart: ['true'] },
      commandTimeouts: { install: '1 minute' },
    } as unknown as TargetConfig;
    const { installDependencies } = createActivities({ configPath: join(dir, 'none.json'), env: {} });
    const err = await new MockActivityEnvironment()
      .run(installDependencies, {
        target,
        commit: git('rev-parse', 'HEAD'),
        requiredPackages: [],
        step: 'install-dependencies' as const,
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    const failure = err as ApplicationFailure;
    expect(failure.type).toBe('DependencyInstallFailed');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('Missing: farm-chat-field-geometry@1.0.0 from lock file');
    expect(failure.message).not.toContain('aliases: clean-install');
  });
});
