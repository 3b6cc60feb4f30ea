import { describe, expect, it } from 'vitest';
import { decisionProblem } from '../../src/plan/decision.js';

describe('a decision (approve, reject, rollback)', () => {
  const ok = { by: 'ana', reason: 'reviewed' };

  it('takes who and why, and nothing else', () => {
    expect(decisionProblem(ok)).toBeUndefined();
    expect(decisionProblem(null)).toContain('expected');
    expect(decisionProblem({ ...ok, by: ' ' })).toContain('by:');
    expect(decisionProblem({ ...ok, reason: '' })).toContain('reason:');
    expect(decisionProblem({ ...ok, force: true })).toBe('unknown field(s): force (expected by, reason)');
  });

  it('keeps its plain meaning without an action, unless the gate needs one', () => {
    expect(decisionProblem(ok, { actions: ['reset'] })).toBeUndefined();
    expect(decisionProblem(ok, { actions: ['resolve-rolled-back'], actionRequired: true })).toBe(
      'action: this gate needs one of resolve-rolled-back',
    );
  });

  it('accepts only an action the open gate offers', () => {
    expect(decisionProblem({ ...ok, action: 'reset' }, { actions: ['reset'] })).toBeUndefined();
    expect(
      decisionProblem(
        { ...ok, action: 'resolve-rolled-back' },
        { actions: ['resolve-rolled-back'], actionRequired: true },
      ),
    ).toBeUndefined();
    expect(
      decisionProblem({ ...ok, action: 'resolve-applied' }, { actions: ['resolve-rolled-back'], actionRequired: true }),
    ).toBe('action: this gate offers resolve-rolled-back, not resolve-applied');
    expect(decisionProblem({ ...ok, action: 'reset' }, { actions: [] })).toBe(
      'action: nothing offers reset here (approve without an action)',
    );
    expect(decisionProblem({ ...ok, action: 'drop-everything' }, { actions: ['reset'] })).toBe(
      'action: one of reset, resolve-applied, resolve-rolled-back',
    );
    expect(decisionProblem({ ...ok, action: 7 }, { actions: ['reset'] })).toBe(
      'action: one of reset, resolve-applied, resolve-rolled-back',
    );
  });

  it('refuses any action where none is offered: reject and rollback', () => {
    expect(decisionProblem({ ...ok, action: 'reset' })).toBe(
      'action: nothing offers reset here (approve without an action)',
    );
  });
});
