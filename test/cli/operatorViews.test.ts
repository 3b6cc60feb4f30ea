import { describe, expect, it } from 'vitest';
import { currentRelease } from '../../src/cli/current.js';
import type { DeploymentRecord } from '../../src/cli/deployments.js';
import { renderHistory } from '../../src/cli/history.js';
import { baselineOf, paceLine } from '../../src/cli/pace.js';
import { ProgressPrinter, renderReport } from '../../src/cli/render.js';
import { formatBytes, formatDuration } from '../../src/shared/humanize.js';
import type { DeploymentReport, Progress, StepRecord } from '../../src/shared/report.js';

/** The operator's views as pure functions: sizes, durations, what is live, the history, the pace, a dry run's text. */

const step = (name: StepRecord['name'], durationMs: number, extra: Partial<StepRecord> = {}): StepRecord => ({
  name,
  phase: 'deploy',
  status: 'ok',
  summary: name,
  startedAt: '2026-12-01T03:00:00.000Z',
  durationMs,
  ...extra,
});

const record = (id: string, extra: Partial<DeploymentRecord>): DeploymentRecord => ({
  workflowId: id,
  status: 'COMPLETED',
  approvals: [],
  startedAt: '2026-12-01T03:00:00.000Z',
  ...extra,
});
const v = (name: string, commit: string) => ({ name, commit });

describe('human sizes and durations', () => {
  it.each([
    [0, '0 bytes'],
    [1, '1 byte'],
    [999, '999 bytes'],
    [1000, '1 kB'],
    [1_536, '1.5 kB'],
    [79_012_345_678, '79 GB'],
    [123_456_789_012, '123 GB'],
    [5.5e15, '5.5 PB'],
  ])('%d bytes read %s', (bytes, text) => expect(formatBytes(bytes)).toBe(text));

  it.each([
    [850, '850 ms'],
    [12_345, '12.3 s'],
    [252_000, '4 min 12 s'],
    [7_500_000, '2 h 5 min'],
  ])('%d ms read %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});

describe('current: the newest deployed run', () => {
  const deployed = record('d1', {
    outcome: 'deployed',
    release: { from: v('v1', 'a'.repeat(40)), to: v('v2', 'b'.repeat(40)) },
    requestedBy: 'ana',
    reason: 'Satshot',
    liveSince: '2026-12-01T03:05:00.000Z',
  });

  it('skips later dry runs, refusals and rollbacks (they leave it live), and names what may change it', () => {
    const newestFirst = [
      record('running', { status: 'RUNNING' }),
      record('failed-rb', { outcome: 'rollback-failed', status: 'FAILED' }),
      record('rb', { outcome: 'rolled-back', status: 'FAILED' }),
      record('dry', { outcome: 'dry-run' }),
      record('frozen', { status: 'FAILED', error: 'frozen by erin' }),
      deployed,
      record('older', { outcome: 'deployed', release: { from: v('v0', 'c'), to: v('v1', 'a') } }),
    ];
    expect(currentRelease('farm-chat', 'production', newestFirst)).toEqual({
      app: 'farm-chat',
      environment: 'production',
      release: v('v2', 'b'.repeat(40)),
      previous: v('v1', 'a'.repeat(40)),
      since: '2026-12-01T03:05:00.000Z',
      requestedBy: 'ana',
      reason: 'Satshot',
      workflowId: 'd1',
      approvals: [],
      inProgress: ['running'],
      rollbackFailed: ['failed-rb'],
    });
  });

  it('is undefined when nothing ever ended deployed', () => {
    expect(currentRelease('a', 'b', [record('dry', { outcome: 'dry-run' })])).toBeUndefined();
  });
});

describe('history text', () => {
  it('one block per run: outcome, from → to, duration, who and why, approvals, the rollback', () => {
    const text = renderHistory('farm-chat', 'production', [
      record('w2', {
        outcome: 'rolled-back',
        release: { from: v('v2', 'b'.repeat(40)), to: v('v3', 'c'.repeat(40)) },
        durationMs: 252_000,
        requestedBy: 'bea',
        reason: "drop 'tokens' — 月末",
        approvals: [
          {
            gate: 'migration-risk',
            asked: 'x',
            decision: 'approved',
            by: 'carl',
            reason: 'ok',
            at: '2026-12-01T03:01:00Z',
          },
        ],
        rollback: { reason: 'login errors', requestedBy: 'dana' },
      }),
      record('w1', { status: 'FAILED', ref: 'v2', error: 'frozen by erin', scheduleId: 'deploy-farm-chat-production' }),
    ]);
    expect(text.split('\n')).toEqual([
      'Tue 2026-12-01 03:00:00 UTC  rolled-back  v2 (bbbbbbb) → v3 (ccccccc)  4 min 12 s  w2',
      "  requested by bea: drop 'tokens' — 月末",
      '  approved migration-risk by carl at 2026-12-01T03:01:00Z: ok',
      "  rolled back at dana's request: login errors",
      'Tue 2026-12-01 03:00:00 UTC  failed  → v2  running  w1',
      '  requested by (nobody named) (no reason given) (schedule deploy-farm-chat-production)',
      '  failure: frozen by erin',
    ]);
  });
});

describe('pace: step N of ~M and an estimate', () => {
  const report = (ms: number, monitorMs: number, steps = 3) => ({
    durationMs: ms,
    steps: [
      ...Array.from({ length: steps - 1 }, () => step('verify', 1)),
      step('monitor', monitorMs),
      step('restore-database', 1, { phase: 'rollback' }),
    ],
  });

  it("takes the latest run's step count and the median time without monitoring", () => {
    expect(baselineOf([report(100_000, 40_000, 5), report(90_000, 0), report(300_000, 0)])).toEqual({
      steps: 5,
      durationMs: 90_000,
      runs: 3,
    });
    expect(baselineOf([])).toBeUndefined();
  });

  it('says where the run is, how long it took, and what is left', () => {
    const p: Progress = { deploymentId: 'd', status: 'running', steps: [step('load-config', 1), step('lock', 1)] };
    const base = { steps: 24, durationMs: 100_000, runs: 1 };
    expect(paceLine(p, 0, 40_000, base)).toBe(
      'step 2 of ~24 · 40.0 s elapsed · about 1 min 0 s left (the last deployment: 1 min 40 s, monitoring aside)',
    );
    expect(paceLine(p, 0, 150_000, { ...base, steps: 1, runs: 3 })).toBe(
      'step 2 of ~2 · 2 min 30 s elapsed · longer than usual (median of the last 3 deployments: 1 min 40 s, monitoring aside)',
    );
    expect(paceLine(p, 0, 2_000, undefined)).toBe(
      'step 2 · 2.0 s elapsed (no earlier deployment of this app and environment to estimate from)',
    );
  });

  it('prints the pace under each step that begins, and nothing more without one', () => {
    const lines: string[] = [];
    const printer = new ProgressPrinter(
      (l) => lines.push(l),
      'w',
      () => 'PACE',
    );
    const running: Progress = {
      deploymentId: 'd',
      status: 'running',
      steps: [step('load-config', 5), { ...step('lock', 0), status: 'running', durationMs: undefined }],
    };
    printer.update(running);
    printer.update(running);
    expect(lines).toEqual(['→ load-config: load-config …', '→ load-config: ok (0.0 s)', '→ lock: lock …', '  PACE']);
    const primed: string[] = [];
    const rollback = new ProgressPrinter((l) => primed.push(l), 'w');
    rollback.prime(running);
    rollback.update({ ...running, steps: [...running.steps, step('restore-database', 10, { phase: 'rollback' })] });
    expect(primed).toEqual(['↩ restore-database: restore-database …', '↩ restore-database: ok (0.0 s)']);
  });
});

describe("a dry run's text", () => {
  it('shows the lint findings, the questions a real run would ask and the rollback plan', () => {
    const report: DeploymentReport = {
      deploymentId: 'd',
      app: 'farm-chat',
      environment: 'production',
      ref: 'v3',
      outcome: 'dry-run',
      startedAt: '',
      finishedAt: '',
      durationMs: 1000,
      steps: [],
      checks: [],
      lint: [
        {
          name: '20260101_drop',
          severity: 'destructive',
          findings: [
            { rule: 'ban-drop-table', severity: 'destructive', line: 3, statement: 'DROP TABLE t', message: 'drops t' },
          ],
        },
      ],
      decisions: [
        {
          gate: 'migration-risk',
          asked: 'destructive migration 20260101_drop',
          decision: 'timed-out',
          reason: 'a dry run does not wait',
          at: '',
        },
      ],
      rollbackPlan: { strategy: 'restore-database', why: 'a pending migration is not additive' },
    };
    const text = renderReport(report);
    expect(text).toContain(
      [
        '  lint:       20260101_drop destructive',
        '    20260101_drop:3 ban-drop-table (destructive): drops t',
        '  would ask:',
        '    migration-risk: destructive migration 20260101_drop',
        '  rollback plan: restore-database — a pending migration is not additive',
      ].join('\n'),
    );
    expect(renderReport({ ...report, lint: [], decisions: [] })).toContain('  would ask: nothing (no approval needed)');
  });
});
