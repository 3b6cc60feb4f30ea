import { describe, expect, it } from 'vitest';
import { originalNote, pausedNote } from '../../src/cli/schedule/notes.js';

const request = { app: 'farm-chat', environment: 'production', ref: 'v2', dryRun: false };

describe('a schedule note across pause and unpause', () => {
  it.each([
    ['the --note given at create', { memo: { when: 'sun 03:00 Europe/Madrid', note: 'Satshot release' }, action: { args: [request] }, state: { note: 'release freeze — note: Satshot release' } }, 'Satshot release'],
    ['the descriptive note create wrote without --note', { memo: { when: 'sun 03:00 Europe/Madrid' }, action: { args: [{ ...request, dryRun: true }] }, state: { note: 'freeze' } }, 'Dry run farm-chat production → v2 sun 03:00 Europe/Madrid'],
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
