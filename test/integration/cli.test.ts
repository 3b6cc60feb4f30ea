import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeploymentReport } from '../../src/shared/report.js';
import { runCli } from '../helpers/cli.js';
import { backupFiles, createScenario, type Scenario } from '../helpers/scenario.js';

/**
 * `safe-deploy start` as an operator runs it, on a real farm-chat production and a real worker:
 * the built CLI follows the real steps and exits with the outcome's code; status and list find it.
 */
let s: Scenario;

beforeAll(async () => {
  s = await createScenario('cli');
}, 600_000);
afterAll(async () => s?.close());

describe('safe-deploy start --dry-run on a real production', () => {
  let workflowId: string;

  it(
    'follows the real pre-checks step by step and exits 0 with outcome dry-run, changing nothing',
    { timeout: 300_000 },
    async () => {
      const r = await runCli([
        '--task-queue',
        s.taskQueue,
        'start',
        '--app',
        'farm-chat',
        '--env',
        s.environment,
        '--ref',
        'v2',
        '--dry-run',
        '--reason',
        'CLI test',
      ]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const lines = r.stdout.trim().split('\n');
      workflowId = /^started (\S+) on task queue /.exec(lines[0]!)![1]!;
      for (const step of [
        'load-config',
        'check-tools',
        'check-database',
        'resolve-release',
        'inspect-migrations',
        'lint-migrations',
        'rehearse',
      ]) {
        const started = lines.findIndex((l) => l.startsWith(`→ ${step}: `) && l.endsWith(' …'));
        const ended = lines.findIndex((l) => l.startsWith(`→ ${step}: ok (`));
        expect(started, step).toBeGreaterThan(0);
        expect(ended, step).toBeGreaterThan(started);
      }
      expect(lines.at(-1)).toBe(`deployment ${workflowId} outcome: dry-run`);
      expect(s.head()).toBe(s.origin.tags.v1);
      expect(backupFiles(s).filter((f) => f !== 'work')).toEqual([]); // only the emptied scratch space
    },
  );

  it('status prints the report; --json gives it as data', async () => {
    const text = await runCli(['status', workflowId]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^deployment .+: farm-chat ${s.environment} → v2\n`));
    const json = await runCli(['status', workflowId, '--json']);
    const { status, report } = json.json<{ status: string; report: DeploymentReport }>();
    expect(status).toBe('COMPLETED');
    expect(report).toMatchObject({ app: 'farm-chat', environment: s.environment, ref: 'v2', outcome: 'dry-run' });
  });
});
