import { describe, expect, it } from 'vitest';
import { LiveProgress } from '../../src/cli/live.js';
import type { StepRecord } from '../../src/shared/report.js';

const step = (o: Partial<StepRecord>): StepRecord => ({
  name: 'migrate',
  phase: 'deploy',
  status: 'running',
  summary: 'Apply migrations',
  startedAt: '2025-06-01T01:00:00.000Z',
  ...o,
});
const T0 = Date.parse('2025-06-01T01:00:00.000Z');

/** A terminal that keeps what is on screen: permanent lines, and the line being redrawn. */
function screen(columns = 80) {
  let text = '';
  return {
    columns,
    write(chunk: string) {
      text += chunk;
    },
    /** What a terminal shows: \r\x1b[2K erases the current line. */
    shown() {
      const out: string[] = [];
      for (const line of text.split('\n')) out.push(line.split('\r\x1b[2K').at(-1)!);
      return out;
    },
  };
}

describe('the live progress line on a terminal', () => {
  it('redraws one line for the running step with its elapsed time and leaves a line per finished step', () => {
    let now = T0 + 12_300;
    const term = screen();
    const live = new LiveProgress(term, 'w1', () => now, 0);
    live.update({
      deploymentId: 'd',
      status: 'running',
      steps: [step({ name: 'backup', summary: 'Back up', status: 'ok', durationMs: 900 }), step({})],
    });
    expect(term.shown()).toEqual(['→ backup: ok (0.9 s)', '⠙ → migrate: Apply migrations … 12.3 s']);
    now += 1_000;
    live.update({
      deploymentId: 'd',
      status: 'running',
      steps: [step({ name: 'backup', summary: 'Back up', status: 'ok', durationMs: 900 }), step({})],
    });
    expect(term.shown()).toEqual(['→ backup: ok (0.9 s)', '⠹ → migrate: Apply migrations … 13.3 s']);
    live.update({
      deploymentId: 'd',
      status: 'running',
      steps: [
        step({ name: 'backup', summary: 'Back up', status: 'ok', durationMs: 900 }),
        step({ status: 'failed', durationMs: 13_400, error: 'boom' }),
        step({
          name: 'restore-database',
          phase: 'rollback',
          summary: 'Restore the backup',
          startedAt: new Date(now).toISOString(),
        }),
      ],
    });
    expect(term.shown()).toEqual([
      '→ backup: ok (0.9 s)',
      '→ migrate: FAILED (13.4 s) — boom',
      '⠸ ↩ restore-database: Restore the backup … 0.0 s',
    ]);
    live.close();
    expect(term.shown()).toEqual(['→ backup: ok (0.9 s)', '→ migrate: FAILED (13.4 s) — boom', '']);
  });

  it('prints a wait as permanent lines above the live line', () => {
    const term = screen();
    const live = new LiveProgress(term, 'w1', () => T0, 0);
    live.update({
      deploymentId: 'd',
      status: 'running',
      steps: [step({ name: 'check-tools', summary: 'Checks', status: 'ok', durationMs: 5 })],
      waitingFor: { kind: 'approval', gate: 'migration-risk', detail: 'drift', since: 's' },
    });
    expect(term.shown()).toEqual([
      '→ check-tools: ok (0.0 s)',
      '⏸ waiting for approval since s: drift',
      '  approve: safe-deploy approve w1 --reason "<why>"',
      '  reject:  safe-deploy reject w1 --reason "<why>"',
      '',
    ]);
  });

  it('never wraps: the live line is cut to the terminal width', () => {
    const term = screen(30);
    const live = new LiveProgress(term, 'w1', () => T0, 0);
    live.update({
      deploymentId: 'd',
      status: 'running',
      steps: [step({ summary: 'Apply a very long list of migrations to the database' })],
    });
    expect(term.shown().at(-1)).toHaveLength(29);
    expect(term.shown().at(-1)!.endsWith('…')).toBe(true);
  });

  it('takes 80 columns when the terminal says 0', () => {
    const term = screen(0);
    const live = new LiveProgress(term, 'w1', () => T0, 0);
    live.update({ deploymentId: 'd', status: 'running', steps: [step({ summary: 'x'.repeat(200) })] });
    expect(term.shown().at(-1)).toHaveLength(79);
  });

  it('spins on its own between polls', async () => {
    const term = screen();
    const live = new LiveProgress(term, 'w1', () => T0, 10);
    live.update({ deploymentId: 'd', status: 'running', steps: [step({})] });
    const first = term.shown().at(-1);
    await new Promise((r) => setTimeout(r, 60));
    live.close();
    expect(first).toMatch(/^⠙ /);
    expect(term.shown().at(-1)).toBe('');
  });
});
