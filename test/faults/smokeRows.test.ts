import { describe, expect, it } from 'vitest';
import { smokeProblems, type SmokeRun } from '../../scripts/faults/smokeRows.js';

/** The fault matrix's rule for the smoke rows verifications leave in production. */
const run = (label: string, required: boolean): SmokeRun => ({ label, required, email: `${label}@x`, body: label });

describe('smokeProblems', () => {
  const runs = [run('attempt-1', false), run('attempt-2', true)];

  it('a killed attempt that registered but never posted: its user alone is fine', () => {
    expect(
      smokeProblems({ users: ['attempt-1@x', 'attempt-2@x'], messages: 1, messagesWithOtherBodies: 0 }, runs),
    ).toEqual([]);
  });

  it('the passing verification without its message, or more messages than users: a problem', () => {
    expect(
      smokeProblems({ users: ['attempt-1@x', 'attempt-2@x'], messages: 0, messagesWithOtherBodies: 0 }, runs),
    ).toEqual(['data: 2 smoke users but 0 smoke messages (1 verifications passed)']);
    expect(smokeProblems({ users: ['attempt-2@x'], messages: 2, messagesWithOtherBodies: 0 }, runs)).toEqual([
      'data: 1 smoke users but 2 smoke messages (1 verifications passed)',
    ]);
  });

  it('the passing verification’s user missing: a problem naming it', () => {
    expect(smokeProblems({ users: ['attempt-1@x'], messages: 1, messagesWithOtherBodies: 0 }, runs)).toEqual([
      'data: the smoke user of attempt-2 is missing',
    ]);
  });
});
