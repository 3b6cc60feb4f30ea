import { describe, expect, it } from 'vitest';
import { lastRunLabel } from '../../src/cli/schedule/lastRun.js';
import { originalNote, pausedNote } from '../../src/cli/schedule/notes.js';
import { nextRunLines, renderScheduleList } from '../../src/cli/schedule/render.js';

const request = { app: 'farm-chat', environment: 'production', ref: 'v2', dryRun: false };

describe('a schedule note across pause and unpause', () => {
  it.each([
    [
      'the --note given at create',
      {
        memo: { when: 'sun 03:00 Europe/Madrid', note: 'Satshot release' },
        action: { args: [request] },
        state: { note: 'release freeze — note: Satshot release' },
      },
      'Satshot release',
    ],
    [
      'the descriptive note create wrote without --note',
      {
        memo: { when: 'sun 03:00 Europe/Madrid' },
        action: { args: [{ ...request, dryRun: true }] },
        state: { note: 'freeze' },
      },
      'Dry run farm-chat production → v2 sun 03:00 Europe/Madrid',
    ],
    ['a schedule made elsewhere, paused by us', { action: {}, state: { note: 'freeze — note: nightly' } }, 'nightly'],
    ['a schedule made elsewhere, never paused', { action: {}, state: { note: 'nightly' } }, 'nightly'],
    ['a schedule without any note', { action: {}, state: {} }, undefined],
  ])('%s', (_what, schedule, original) => {
    expect(originalNote(schedule)).toBe(original);
  });

  it('puts the pause note first and keeps the original after it', () => {
    expect(pausedNote('release freeze', 'Satshot release')).toBe('release freeze — note: Satshot release');
    expect(pausedNote('release freeze', undefined)).toBe('release freeze');
  });
});

describe('schedule times and last runs for people', () => {
  it('shows next runs in the schedule zone, UTC in parentheses', () => {
    expect(nextRunLines([new Date('2026-03-29T01:00:00Z'), new Date('2026-04-05T01:00:00Z')], 'Europe/Madrid')).toEqual(
      [
        '  next runs: Sun 2026-03-29 03:00:00 Europe/Madrid (2026-03-29 01:00 UTC)',
        '             Sun 2026-04-05 03:00:00 Europe/Madrid (2026-04-05 01:00 UTC)',
      ],
    );
    expect(nextRunLines([new Date('2026-03-29T01:00:00Z')], 'UTC')).toEqual([
      '  next runs: Sun 2026-03-29 01:00:00 UTC',
    ]);
  });

  it('adds LAST RUN after the columns that were there: the outcome, else the status', () => {
    const row = {
      scheduleId: 'deploy-farm-chat-production',
      paused: false,
      when: 'sun 03:00 Europe/Madrid',
      timeZone: 'Europe/Madrid',
      nextActionTimes: ['2026-04-05T01:00:00.000Z'],
      note: 'Satshot release',
    };
    const started = '2026-03-29T01:00:00.000Z';
    expect(
      renderScheduleList([
        { ...row, lastRun: { workflowId: 'w1', startedAt: started, status: 'FAILED', outcome: 'rolled-back' } },
        {
          ...row,
          scheduleId: 'deploy-farm-chat-staging',
          lastRun: { workflowId: 'w2', startedAt: started, status: 'TIMED_OUT' },
        },
        { ...row, scheduleId: 'deploy-farm-chat-demo' },
      ]).split('\n'),
    ).toEqual([
      'SCHEDULE ID                  STATE   WHEN                     NEXT RUN                               NOTE             LAST RUN',
      'deploy-farm-chat-production  active  sun 03:00 Europe/Madrid  Sun 2026-04-05 03:00:00 Europe/Madrid  Satshot release  rolled-back (started Sun 2026-03-29 03:00:00 Europe/Madrid)',
      'deploy-farm-chat-staging     active  sun 03:00 Europe/Madrid  Sun 2026-04-05 03:00:00 Europe/Madrid  Satshot release  timed out (started Sun 2026-03-29 03:00:00 Europe/Madrid)',
      'deploy-farm-chat-demo        active  sun 03:00 Europe/Madrid  Sun 2026-04-05 03:00:00 Europe/Madrid  Satshot release  -',
    ]);
    expect(lastRunLabel({ workflowId: 'w', startedAt: started, status: 'RUNNING' })).toBe('running');
    expect(lastRunLabel(undefined)).toBe('-');
  });
});
