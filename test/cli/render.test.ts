import { describe, expect, it } from 'vitest';
import { ProgressPrinter, renderReport, stepLine, waitingLines } from '../../src/cli/render.js';
import type { DeploymentReport, StepRecord } from '../../src/shared/report.js';

const step = (o: Partial<StepRecord>): StepRecord => ({
  name: 'backup',
  phase: 'deploy',
  status: 'running',
  summary: 'Back up the farm-chat production database',
  startedAt: '',
  ...o,
});

describe('live progress lines', () => {
  it('prints each transition once, a start line even for a step first seen finished', () => {
    const lines: string[] = [];
    const p = new ProgressPrinter((l) => lines.push(l));
    p.update({ deploymentId: 'd', status: 'running', steps: [step({})] });
    p.update({ deploymentId: 'd', status: 'running', steps: [step({})] });
    p.update({
      deploymentId: 'd',
      status: 'running',
      steps: [
        step({ status: 'ok', durationMs: 1234, result: '/b/x.dump' }),
        step({ name: 'migrate', summary: 'Apply migrations', status: 'failed', durationMs: 50, error: 'boom' }),
      ],
    });
    expect(lines).toEqual([
      '→ backup: Back up the farm-chat production database …',
      '→ backup: ok (1.2 s) — /b/x.dump',
      '→ migrate: Apply migrations …',
      '→ migrate: FAILED (0.1 s) — boom',
    ]);
  });

  it('marks rollback steps', () => {
    expect(stepLine(step({ name: 'restore-database', phase: 'rollback', status: 'ok', durationMs: 10 }))).toBe(
      '↩ restore-database: ok (0.0 s)',
    );
  });

  it('says a skipped step was skipped, and why, never FAILED', () => {
    expect(
      stepLine(
        step({
          name: 'approve-lost-writes',
          phase: 'rollback',
          status: 'skipped',
          durationMs: 0,
          result: 'no writes to lose',
        }),
      ),
    ).toBe('↩ approve-lost-writes: skipped (0.0 s) — no writes to lose');
  });
});

describe('waiting states', () => {
  const waitingFor = {
    kind: 'approval' as const,
    gate: 'migration-risk',
    detail: 'destructive migration 20250601_drop_legacy_sessions',
    since: '2025-06-01T01:00:00.000Z',
  };

  it('prints a wait once, with the commands that answer it', () => {
    const lines: string[] = [];
    const p = new ProgressPrinter((l) => lines.push(l), 'deploy-farm-chat-production-v2-abc123');
    const progress = {
      deploymentId: 'd',
      status: 'running' as const,
      steps: [step({ status: 'ok', durationMs: 10 })],
      waitingFor,
    };
    p.update(progress);
    p.update(progress);
    expect(lines.slice(2)).toEqual([
      '⏸ waiting for approval since 2025-06-01T01:00:00.000Z: destructive migration 20250601_drop_legacy_sessions',
      '  approve: safe-deploy approve deploy-farm-chat-production-v2-abc123 --reason "<why>"',
      '  reject:  safe-deploy reject deploy-farm-chat-production-v2-abc123 --reason "<why>"',
    ]);
  });

  it('prints each action a gate offers, and no plain approve where an action is needed', () => {
    expect(waitingLines('w1', { ...waitingFor, actions: ['reset'] }).slice(1)).toEqual([
      '  approve: safe-deploy approve w1 --reason "<why>"',
      '  approve: safe-deploy approve w1 --action reset --reason "<why>"',
      '  reject:  safe-deploy reject w1 --reason "<why>"',
    ]);
    expect(
      waitingLines('w1', {
        ...waitingFor,
        gate: 'failed-migration',
        actions: ['resolve-rolled-back'],
        actionRequired: true,
      }).slice(1),
    ).toEqual([
      '  approve: safe-deploy approve w1 --action resolve-rolled-back --reason "<why>"',
      '  reject:  safe-deploy reject w1 --reason "<why>"',
    ]);
  });

  it('prints a new wait again, and says how to stop a wait for a window', () => {
    expect(
      waitingLines('w1', {
        kind: 'window',
        gate: 'window',
        detail: 'sun 03:00–05:00 Europe/Madrid opens 2025-06-01T01:00:00Z',
        since: 's',
      }),
    ).toEqual([
      '⏸ waiting for window since s: sun 03:00–05:00 Europe/Madrid opens 2025-06-01T01:00:00Z',
      '  stop it: safe-deploy cancel w1',
    ]);
    const lines: string[] = [];
    const p = new ProgressPrinter((l) => lines.push(l), 'w1');
    p.update({ deploymentId: 'd', status: 'running', steps: [], waitingFor });
    p.update({ deploymentId: 'd', status: 'running', steps: [] });
    p.update({ deploymentId: 'd', status: 'running', steps: [], waitingFor: { ...waitingFor, since: 'later' } });
    expect(lines.filter((l) => l.startsWith('⏸'))).toHaveLength(2);
  });
});

describe('the report of a drifted or failed-migration deployment', () => {
  const base = {
    deploymentId: 'd',
    app: 'farm-chat',
    environment: 'production',
    ref: 'v2',
    outcome: 'aborted',
    steps: [],
    checks: [],
    decisions: [],
    durationMs: 1000,
  } as unknown as DeploymentReport;
  it('prints the data inventory a DBA acts on, and whether a reset was offered or approved', () => {
    const inventory = {
      maxRows: 50,
      countedUpTo: 1000,
      tables: [{ name: 'public.messages', rows: 100, more: false, estimatedRows: 100, bytes: 8192 }],
      tableCount: 1,
      totalBytes: 8192,
      users: [],
      overThreshold: ['public.messages'],
      withinThreshold: false,
    };
    expect(renderReport({ ...base, drift: { inventory, resetOffered: false } })).toContain(
      '  drift data: 1 tables, 8192 bytes: public.messages 100 rows\n              no reset offered (drift.resetMaxRows 50)',
    );
    expect(
      renderReport({
        ...base,
        drift: { inventory, resetOffered: true, reset: { by: 'ana', reason: 'test data', at: '' } },
      }),
    ).toContain('reset approved by ana: test data');
  });
  it('prints each statement of a failed migration with its effect, and the resolution', () => {
    const failedMigration = {
      migration: 'm2',
      file: 'f',
      checksum: 'c',
      sameInTarget: true,
      grounds: 'none of its statements took effect',
      proposal: 'resolve-rolled-back' as const,
      statements: [
        {
          index: 1,
          line: 3,
          sql: 'ALTER TABLE …',
          kind: 'AlterTableStmt',
          effect: 'not-applied' as const,
          evidence: ['column public.users.x does not exist (the statement creates it)'],
        },
      ],
      resolved: { action: 'resolve-rolled-back' as const, by: 'ana', reason: 'ok', via: 'sql' as const, changed: true },
    };
    expect(
      renderReport({ ...base, failedMigration })
        .split('\n')
        .slice(1, 3),
    ).toEqual([
      '  failed migration: m2: proposal resolve-rolled-back (none of its statements took effect); resolved resolve-rolled-back by ana (sql)',
      '    1. line 3 AlterTableStmt: not-applied (column public.users.x does not exist (the statement creates it))',
    ]);
  });
});
