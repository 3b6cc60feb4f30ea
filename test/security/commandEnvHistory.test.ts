import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectNoSecretsInHistoryOrLog } from '../helpers/productionState.js';
import { createScenario, historyText, type Scenario } from '../helpers/scenario.js';
import type { DeploymentReport } from '../../src/shared/report.js';

/**
 * Issue 12, item 8: `commandEnv` values were copied into the history (loadConfig's result and
 * every activity input carry the target). Now the history holds the NAMES; the values are read
 * from the worker's config when a command runs. A real dry run on a farm-chat production: its
 * stage-release runs the config's build commands, one of which writes the canary's value out,
 * proving the command still got it; the full event history must not contain it.
 */
let s: Scenario;
let report: DeploymentReport;
let history: string;
const CANARY = `cmdenv-canary-${randomBytes(12).toString('hex')}`;
let out: string;

beforeAll(async () => {
  s = await createScenario('cmdenv');
  out = join(s.root, 'canary-seen-by-build.txt');
  const config = JSON.parse(readFileSync(s.configPath, 'utf8'));
  const env = config.apps['farm-chat'][s.environment];
  env.commandEnv = { ...env.commandEnv, SD_CANARY: CANARY, SD_CANARY_OUT: out };
  env.commands.build = [
    ...env.commands.build,
    ['node', '-e', "require('node:fs').writeFileSync(process.env.SD_CANARY_OUT, String(process.env.SD_CANARY))"],
  ];
  writeFileSync(s.configPath, JSON.stringify(config, null, 2));
  const { handle, report: r } = await s.deploy(s.request('v2', { dryRun: true }));
  report = r;
  history = await historyText(handle);
  await expectNoSecretsInHistoryOrLog(s, handle);
}, 600_000);
afterAll(async () => s?.close());

describe('commandEnv in the history: names only', () => {
  it('the dry run ran its build commands with the values', () => {
    expect(report.outcome).toBe('dry-run');
    expect(report.steps.find((x) => x.name === 'stage-release')?.status).toBe('ok');
    expect(existsSync(out) && readFileSync(out, 'utf8')).toBe(CANARY);
  });

  it('no commandEnv value appears anywhere in the full event history; the names do', () => {
    expect(history).not.toContain(CANARY);
    expect(history).not.toContain(out);
    expect(history).toContain('SD_CANARY');
    expect(history).toContain('read from the worker config when a command runs');
  });
});
