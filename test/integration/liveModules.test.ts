import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrismaHerokuProduction } from '../../scripts/lib/prismaHeroku.js';
import type { DependencyFacts } from '../../src/activities/dependencies.js';
import { createLayoutActivities, type StagedRelease } from '../../src/activities/layout.js';
import { readConfigFile } from '../../src/config/load.js';
import { workerConfigSchema, type TargetConfig } from '../../src/config/schema.js';
import type { DeploymentReport } from '../../src/shared/report.js';
import { createAppScenario, createScenario, PRISMA_HEROKU_APP, type Scenario } from '../helpers/scenario.js';

/**
 * Issue 14, staging without a second full install, on real components (Temporal, PostgreSQL, git,
 * npm, the sample apps' real Prisma): a release whose dependencies are the live tree's starts from a
 * copy of the live node_modules, and npm ci's install scripts and the build still run, so its Prisma
 * client is the RELEASE's; anything else — dependencies changed, the live node_modules missing, a
 * symlink, or not what its lockfile says — installs with npm ci and says why.
 */
const CASE_TIMEOUT = 300_000;

/** What stage-release's activity returned, from the history (the step's one-line summary only counts packages). */
async function staged(handle: WorkflowHandle): Promise<StagedRelease> {
  const events = (await handle.fetchHistory()).events ?? [];
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'stageRelease');
  expect(scheduled, 'stageRelease scheduled').toBeDefined();
  const done = events.find(
    (e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === String(scheduled!.eventId),
  );
  const data = done?.activityTaskCompletedEventAttributes?.result?.payloads?.[0]?.data;
  expect(data, 'stageRelease completed').toBeDefined();
  return JSON.parse(Buffer.from(data!).toString('utf8')) as StagedRelease;
}

/** The scenario's target as loadConfig builds it: its environment's config, the app, the environment and the tools. */
function targetOf(s: { configPath: string; environment: string }): TargetConfig {
  const config = workerConfigSchema.parse(readConfigFile(s.configPath));
  const [app, envs] = Object.entries(config.apps)[0]!;
  return { ...envs[s.environment]!, app, environment: s.environment, pgBinDir: config.tools?.pgBinDir };
}

/** The models the Prisma client generated in `dir` knows: the app's own @prisma/client, loaded by node. */
function clientModels(dir: string): string[] {
  const out = execFileSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      "import p from '@prisma/client'; console.log(JSON.stringify(Object.keys(p.Prisma.ModelName).sort()))",
    ],
    { cwd: dir, encoding: 'utf8' },
  );
  return JSON.parse(out) as string[];
}

/** A file of the staged tree shares no inode with the live tree: its link count is 1. */
const linkCount = (path: string) => statSync(path).nlink;

const COPIED = /^copied from the live tree \(lockfile unchanged\), \d+ packages$/;

describe('prisma-heroku in place: v1 → v2 keeps its dependencies (the lockfile byte for byte) and adds Post.viewCount', () => {
  let s: Scenario<PrismaHerokuProduction>;
  const hidden = () => join(s.prod.appDir, 'node_modules', '.package-lock.json');
  beforeAll(async () => {
    s = await createAppScenario(PRISMA_HEROKU_APP, 'livemods');
  }, 600_000);
  afterAll(async () => s?.close());

  it(
    "a dry run stages from a copy of the live node_modules; the live tree's files, its v1 client included, are untouched",
    async () => {
      const liveSchema = readFileSync(join(s.prod.appDir, 'node_modules/.prisma/client/schema.prisma'), 'utf8');
      const liveHidden = readFileSync(hidden(), 'utf8');
      const liveInode = statSync(join(s.prod.appDir, 'node_modules')).ino;
      const { report, handle } = await s.deploy(s.request('v2', { dryRun: true }));
      expect(report.outcome).toBe('dry-run');
      const stage = await staged(handle);
      expect(stage.install.installedBy).toMatch(COPIED);
      expect(stage.install.note).toBeUndefined();
      expect(existsSync(stage.dir)).toBe(false); // the dry run's staged copy is gone
      expect(readFileSync(join(s.prod.appDir, 'node_modules/.prisma/client/schema.prisma'), 'utf8')).toBe(liveSchema);
      expect(liveSchema).not.toMatch(/viewCount/);
      expect(readFileSync(hidden(), 'utf8')).toBe(liveHidden);
      expect(statSync(join(s.prod.appDir, 'node_modules')).ino).toBe(liveInode);
      expect(s.head()).toBe(s.origin.tags.v1);
    },
    CASE_TIMEOUT,
  );

  it(
    'the live .package-lock.json tampered with (express not as locked): npm ci, and the step says why',
    async () => {
      const original = readFileSync(hidden(), 'utf8');
      const record = JSON.parse(original) as { packages: Record<string, { version: string }> };
      record.packages['node_modules/express']!.version = '4.0.0';
      writeFileSync(hidden(), JSON.stringify(record, null, 2));
      try {
        const { report, handle } = await s.deploy(s.request('v2', { dryRun: true }));
        expect(report.outcome).toBe('dry-run');
        expect((await staged(handle)).install.installedBy).toMatch(
          /^npm ci --no-audit --no-fund \(the live node_modules not copied: the live node_modules is not its lockfile's install: node_modules\/express is installed as 4\.0\.0, the lockfile says 4\.21\.1\), \d+ packages$/,
        );
      } finally {
        writeFileSync(hidden(), original);
      }
    },
    CASE_TIMEOUT,
  );

  it(
    'a live tree without node_modules, or whose node_modules is a symlink: npm ci, saying which',
    async () => {
      const t = targetOf(s);
      const stage = createLayoutActivities({ configPath: s.configPath, env: process.env }).stageRelease;
      const root = mkdtempSync(join(s.root, 'live-'));
      const live = join(root, 'app');
      execFileSync('git', ['-c', 'advice.detachedHead=false', 'clone', '-q', s.prod.appDir, live]);
      execFileSync('git', ['-C', live, '-c', 'advice.detachedHead=false', 'checkout', '-q', s.origin.tags.v1!]);
      const run = async (deploymentId: string): Promise<DependencyFacts> => {
        const r = await stage({
          target: { ...t, appDir: live, workDir: join(root, 'work') },
          deploymentId,
          commit: s.origin.tags.v2!,
          startedAt: new Date().toISOString(),
          requiredPackages: [],
        });
        rmSync(r.dir, { recursive: true, force: true });
        return r.install;
      };
      expect((await run('missing')).installedBy).toMatch(
        new RegExp(
          `^npm ci --no-audit --no-fund \\(the live node_modules not copied: the live tree \\(${live}\\) has no node_modules\\), \\d+ packages$`,
        ),
      );
      symlinkSync(join(s.prod.appDir, 'node_modules'), join(live, 'node_modules'));
      expect((await run('symlinked')).installedBy).toMatch(
        /not copied: \S+\/node_modules is not a directory of its own/,
      );
      rmSync(root, { recursive: true, force: true });
    },
    CASE_TIMEOUT,
  );

  describe('deployed', () => {
    let report: DeploymentReport;
    let stage: StagedRelease;
    beforeAll(async () => {
      const d = await s.deploy(s.request('v2'));
      report = d.report;
      stage = await staged(d.handle);
    }, CASE_TIMEOUT);

    it('staged from the copy, every step ok, the staged install moved in', () => {
      expect(report.error).toBeUndefined();
      expect(report.outcome).toBe('deployed');
      expect(stage.install.installedBy).toMatch(COPIED);
      expect(report.steps.find((x) => x.name === 'install-dependencies')?.result).toMatch(
        /^moved in from the staged copy, not installed again/,
      );
      expect(s.head()).toBe(s.origin.tags.v2);
    });

    it("the app's client is v2's: the view counter counts (a v1 client would not know Post.viewCount)", async () => {
      const id = (await s.query<{ id: number }>(`SELECT min(id) AS id FROM "Post"`))[0]!.id;
      const view = () =>
        fetch(`${s.prod.baseUrl}/api/post/${id}/views`, { method: 'PUT' }).then(
          (r) => r.json() as Promise<{ viewCount: number }>,
        );
      expect((await view()).viewCount).toBe(1);
      expect((await view()).viewCount).toBe(2);
      expect(readFileSync(join(s.prod.appDir, 'node_modules/.prisma/client/schema.prisma'), 'utf8')).toMatch(
        /viewCount/,
      );
    });

    it("node_modules is a copy, not links into v1's, and npm's record names the release", () => {
      for (const f of ['express/package.json', 'prisma/package.json', '@prisma/client/package.json'])
        expect(linkCount(join(s.prod.appDir, 'node_modules', f)), f).toBe(1);
      const marker = JSON.parse(
        readFileSync(join(s.prod.appDir, 'node_modules', '.safe-deploy-install.json'), 'utf8'),
      ) as { commit: string; dir: string };
      expect(marker).toMatchObject({ commit: s.origin.tags.v2, dir: stage.dir });
      const lock = JSON.parse(readFileSync(join(s.prod.appDir, 'package-lock.json'), 'utf8')) as { version: string };
      expect(JSON.parse(readFileSync(hidden(), 'utf8'))).toMatchObject({
        name: 'prisma-heroku',
        version: lock.version,
      });
    });

    it(
      'commands.install changed since the live install (its marker says how it was installed): npm ci with the new one',
      async () => {
        const t = targetOf(s);
        const install = ['npm', 'ci', '--no-audit'];
        const r = await createLayoutActivities({ configPath: s.configPath, env: process.env }).stageRelease({
          target: { ...t, commands: { ...t.commands, install } },
          deploymentId: 'other-install',
          commit: s.origin.tags.v2!,
          startedAt: new Date().toISOString(),
          requiredPackages: [],
        });
        rmSync(r.dir, { recursive: true, force: true });
        expect(r.install.installedBy).toMatch(
          /^npm ci --no-audit \(the live node_modules not copied: the live node_modules was installed with \["npm","ci","--no-audit","--no-fund"\], not commands\.install\), \d+ packages$/,
        );
      },
      CASE_TIMEOUT,
    );
    it(
      'an install command that omits dev dependencies: npm ci (a copy would carry the live dev dependencies)',
      async () => {
        const t = targetOf(s);
        const install = ['npm', 'ci', '--no-audit', '--no-fund', '--omit=dev'];
        const r = await createLayoutActivities({ configPath: s.configPath, env: process.env }).stageRelease({
          target: { ...t, commands: { ...t.commands, install } },
          deploymentId: 'omit-dev',
          commit: s.origin.tags.v2!,
          startedAt: new Date().toISOString(),
          requiredPackages: [],
        });
        rmSync(r.dir, { recursive: true, force: true });
        expect(r.install.installedBy).toMatch(
          /^npm ci --no-audit --no-fund --omit=dev \(the live node_modules not copied: commands\.install leaves dev dependencies out/,
        );
      },
      CASE_TIMEOUT,
    );
  });
});

describe('farm-chat in release directories', () => {
  let s: Scenario;
  beforeAll(async () => {
    s = await createScenario('livemodsrel', { layout: 'releases', backup: { method: 'snapshot' } });
  }, 600_000);
  afterAll(async () => s?.close());

  it(
    'v1 → v2 adds xml2js: npm ci (the dependencies changed), and v2 serves',
    async () => {
      const { report, handle } = await s.deploy(s.request('v2'));
      expect(report.error).toBeUndefined();
      expect(report.outcome).toBe('deployed');
      expect((await staged(handle)).install.installedBy).toMatch(
        /^npm ci --no-audit --no-fund \(the live node_modules not copied: package\.json's dependencies changed\), \d+ packages$/,
      );
      expect(await (await fetch(`${s.prod.baseUrl}/health`)).json()).toMatchObject({ version: '2.0.0' });
      expect((await fetch(`${s.prod.baseUrl}/integrations/satshot`)).status).not.toBe(404);
    },
    CASE_TIMEOUT,
  );

  it(
    "v3 (only its version differs in the lockfile; drops the SatshotToken model) staged beside live v2: copied, and its client is v3's while v2's keeps SatshotToken",
    async () => {
      const t = targetOf(s);
      const live = realpathSync(s.prod.appDir);
      // The live app's own products in node_modules (a tool's cache) are not npm ci's: not copied.
      mkdirSync(join(live, 'node_modules', '.cache'), { recursive: true });
      writeFileSync(join(live, 'node_modules', '.cache', 'v2-only'), 'v2');
      const r = await createLayoutActivities({ configPath: s.configPath, env: process.env }).stageRelease({
        target: t,
        deploymentId: 'v3-staged',
        commit: s.origin.tags['v3-drop-satshot-tokens']!,
        startedAt: new Date().toISOString(),
        requiredPackages: [],
      });
      try {
        expect(r.install.installedBy).toMatch(COPIED);
        expect(r.dir).not.toBe(live);
        expect(clientModels(r.dir)).toEqual(['Message', 'User']);
        expect(clientModels(live)).toEqual(['Message', 'SatshotToken', 'User']);
        expect(linkCount(join(r.dir, 'node_modules', 'xml2js', 'package.json'))).toBe(1);
        // (the release's own install scripts and build may make a .cache of their own: Prisma does)
        expect(existsSync(join(r.dir, 'node_modules', '.cache', 'v2-only'))).toBe(false);
        expect(existsSync(join(live, 'node_modules', '.cache', 'v2-only'))).toBe(true);
        expect(realpathSync(s.prod.appDir)).toBe(live); // current not switched by staging
      } finally {
        rmSync(r.dir, { recursive: true, force: true });
      }
    },
    CASE_TIMEOUT,
  );
});
