import { describe, expect, it } from 'vitest';
import { ProgressPrinter, stepLine } from '../../src/cli/render.js';
import type { StepRecord } from '../../src/shared/report.js';

const step = (o: Partial<StepRecord>): StepRecord => ({ name: 'backup', phase: 'deploy', status: 'running', summary: 'Back up the farm-chat production database', startedAt: '', ...o });

describe('live progress lines', () => {
  it('prints each transition once, a start line even for a step first seen finished', () => {
    const lines: string[] = [];
    const p = new ProgressPrinter((l) => lines.push(l));
    p.update({ deploymentId: 'd', status: 'running', steps: [step({})] });
    p.update({ deploymentId: 'd', status: 'running', steps: [step({})] });
    p.update({ deploymentId: 'd', status: 'running', steps: [step({ status: 'ok', durationMs: 1234, result: '/b/x.dump' }), step({ name: 'migrate', summary: 'Apply migrations', status: 'failed', durationMs: 50, error: 'boom' })] });
    expect(lines).toEqual([
      '→ backup: Back up the farm-chat production database …',
      '→ backup: ok (1.2 s) — /b/x.dump',
      '→ migrate: Apply migrations …',
      '→ migrate: FAILED (0.1 s) — boom',
    ]);
  });

  it('marks rollback steps', () => {
    expect(stepLine(step({ name: 'restore-database', phase: 'rollback', status: 'ok', durationMs: 10 }))).toBe('↩ restore-database: ok (0.0 s)');
  });
});
