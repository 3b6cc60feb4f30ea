import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger, type LogEntry } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FarmChatProduction } from '../../scripts/lib/farmChat.js';
import type { PrismaHerokuProduction } from '../../scripts/lib/prismaHeroku.js';
import type { LoadedConfig } from '../../src/activities/config.js';
import { createActivities } from '../../src/activities/index.js';
import type { CheckResult } from '../../src/activities/http.js';
import type { MigrationHistory } from '../../src/shared/migrationFacts.js';
import type { ResolvedRelease } from '../../src/shared/releaseFacts.js';
import type { TargetConfig } from '../../src/config/schema.js';
import { createAppScenario, createScenario, PRISMA_HEROKU_APP, type Scenario } from '../helpers/scenario.js';

/**
 * The app's own Prisma CLI, as the activities start it on a real production of each sample app:
 * the config's default `npx --no-install prisma …` runs as `node <app>/node_modules/prisma/build/index.js …`
 * (no npm, no shell), once per activity; a custom argv runs exactly as configured.
 */
interface PrismaStart {
  phase: string;
  started: string;
  command: string;
}

/** Runs one activity and returns its answer and the Prisma CLI starts it logged. */
async function withStarts<R>(
  fn: (env: MockActivityEnvironment) => Promise<R>,
): Promise<{ result: R; starts: PrismaStart[] }> {
  const starts: PrismaStart[] = [];
  const logger = new DefaultLogger('INFO', (e: LogEntry) => {
    const m = e.meta as Partial<PrismaStart> | undefined;
    if (e.message.startsWith("starting the app's Prisma CLI"))
      starts.push({ phase: String(m?.phase), started: String(m?.started), command: String(m?.command) });
  });
  const result = await fn(new MockActivityEnvironment(undefined, { logger }));
  return { result, starts };
}

function suite<P extends FarmChatProduction | PrismaHerokuProduction>(
  name: string,
  create: () => Promise<Scenario<P>>,
  app: string,
) {
  describe(name, () => {
    let s: Scenario<P>;
    let acts: ReturnType<typeof createActivities>;
    let target: TargetConfig;
    const deploymentId = `test-prismacli-${app}`;
    const entry = () => join(s.prod.appDir, 'node_modules', 'prisma', 'build', 'index.js');

    beforeAll(async () => {
      s = await create();
      acts = createActivities({ configPath: s.configPath, env: {} });
      ({ target } = (await new MockActivityEnvironment().run(acts.loadConfig, {
        app,
        environment: s.environment,
        ref: 'v2',
      })) as LoadedConfig);
    }, 600_000);
    afterAll(async () => s?.close());

    it("inspect-migrations: one start of the app's own CLI, directly, and Prisma's answer read from it", async () => {
      expect(target.commands.migrateStatus).toEqual(['npx', '--no-install', 'prisma', 'migrate', 'status']);
      const { result, starts } = await withStarts(
        (env) =>
          env.run(acts.inspectMigrationHistory, {
            deploymentId,
            target,
            targetCommit: s.origin.tags.v2!,
          }) as Promise<MigrationHistory>,
      );
      expect(starts).toEqual([
        { phase: 'migrate status', started: 'directly', command: `${process.execPath} ${entry()} migrate status` },
      ]);
      expect(result).toMatchObject({ prismaStatus: 'clean', status: 'clean', disagreements: [] });
      expect(result.statusOutput).toMatch(/Database schema is up to date!/);
    });

    it('migrate: one start of `migrate deploy`, directly (nothing pending at v1)', async () => {
      const { result, starts } = await withStarts(
        (env) => env.run(acts.migrateDatabase, { target }) as Promise<{ applied: string[]; output: string }>,
      );
      expect(starts).toEqual([
        { phase: 'migrate deploy', started: 'directly', command: `${process.execPath} ${entry()} migrate deploy` },
      ]);
      expect(result.applied).toEqual([]);
      expect(result.output).toMatch(/No pending migrations to apply/);
    });

    it('verify reads the migrations as prisma migrate status does, without starting it, and names what is off', async () => {
      const { current } = (await new MockActivityEnvironment().run(acts.resolveRelease, {
        target,
        ref: 'v1',
      })) as ResolvedRelease;
      const verify = () =>
        withStarts(
          (env) =>
            env.run(acts.verifyDeployment, {
              target,
              release: current,
              baseline: [],
              runId: `${deploymentId}-verify`,
              step: 'verify' as const,
            }) as Promise<{ checks: CheckResult[] }>,
        );
      const ok = await verify();
      expect(ok.starts).toEqual([]);
      expect(ok.result.checks.find((c) => c.name === 'migrations up to date')).toMatchObject({
        ok: true,
        detail: expect.stringMatching(
          /^database schema is up to date: all [1-9]\d* of v1's migrations applied, checksums equal to its files$/,
        ),
      });
      // A migration the database has and the release does not (prisma migrate status: "missing from the local migrations directory").
      const stray = '20991231000000_not_in_this_release';
      await s.query(
        `INSERT INTO _prisma_migrations (id, checksum, migration_name, finished_at, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), now(), 1)`,
        [`stray-${app}`, 'f'.repeat(64), stray],
      );
      try {
        const err = await verify().catch((e) => e);
        expect(err).toMatchObject({ type: 'VerificationFailed' });
        expect(err.message).toContain(`migrations up to date (${stray} missing-locally)`);
      } finally {
        await s.query('DELETE FROM _prisma_migrations WHERE migration_name = $1', [stray]);
      }
    });

    it('a custom argv runs exactly as configured', async () => {
      const custom = {
        ...target,
        commands: {
          ...target.commands,
          migrateStatus: [process.execPath, 'node_modules/.bin/prisma', 'migrate', 'status'],
        },
      };
      const { result, starts } = await withStarts(
        (env) =>
          env.run(acts.inspectMigrationHistory, {
            deploymentId,
            target: custom,
            targetCommit: s.origin.tags.v2!,
          }) as Promise<MigrationHistory>,
      );
      expect(starts).toEqual([
        {
          phase: 'migrate status',
          started: 'as configured',
          command: `${process.execPath} node_modules/.bin/prisma migrate status`,
        },
      ]);
      expect(result.prismaStatus).toBe('clean');
    });
  });
}

suite('farm-chat', () => createScenario('prismacli'), 'farm-chat');
suite('prisma-heroku', () => createAppScenario(PRISMA_HEROKU_APP, 'prismacli'), 'prisma-heroku');
