import { describe, expect, it } from 'vitest';
import { caseName, faultMatrix } from '../../scripts/faults/cases.js';

/**
 * The matrix as data (no lab): every case named once, each aimed at the activity that runs its
 * step on its setup, the rehearsal on only where a case asks for it.
 */
describe('the fault matrix', () => {
  const all = faultMatrix();

  it('names every case once', () => {
    const names = all.map(caseName);
    expect(new Set(names).size).toBe(names.length);
  });

  it('aims the snapshot cases at the split backup: the copy in the pause, its fingerprint, its dump after writes resume', () => {
    const snapshot = all.filter((c) => c.setup === 'releases+snapshot');
    expect(snapshot.filter((c) => c.activity === 'backupDatabase')).toEqual([]);
    expect(snapshot.filter((c) => c.step === 'backup').map((c) => c.activity)).toEqual([
      'copyDatabaseForBackup',
      'copyDatabaseForBackup',
    ]);
    expect(
      Object.fromEntries(
        snapshot
          .filter((c) => c.step === 'fingerprint-backup' || c.step === 'dump-backup')
          .map((c) => [caseName(c), c.expect.outcome]),
      ),
    ).toEqual({
      'fingerprint-backup/error@releases+snapshot': 'rolled-back',
      'fingerprint-backup/kill-worker@releases+snapshot': 'deployed',
      'dump-backup/error@releases+snapshot': 'rolled-back',
      'dump-backup/kill-worker@releases+snapshot': 'deployed',
      'dump-backup/pg-outage@releases+snapshot': 'deployed',
      'dump-backup/kill-worker-mid@releases+snapshot': 'deployed',
    });
    // The fingerprint fails before the migration: nothing to restore; the dump fails after it: the snapshot renamed in.
    expect(snapshot.find((c) => caseName(c) === 'fingerprint-backup/error@releases+snapshot')!.expect).toMatchObject({
      databaseRestored: false,
    });
    expect(snapshot.find((c) => caseName(c) === 'dump-backup/error@releases+snapshot')!.expect).toMatchObject({
      databaseRestored: true,
      restoredFrom: 'snapshot',
    });
    // Only the forward fingerprint: the rollback's own (verify-rollback, restore-database) must run unharmed.
    for (const c of snapshot.filter((x) => x.activity === 'fingerprintBackup'))
      expect(c.input).toEqual({ step: 'fingerprint-backup' });
  });

  it('turns the rehearsal on only for the rehearsal cases, which deploy v2; the rollback cases keep it off', () => {
    const rehearsed = all.filter((c) => c.rehearsal);
    expect(rehearsed.map(caseName).sort()).toEqual(['rehearse/error', 'rehearse/kill-worker', 'rehearse/pg-outage']);
    expect(rehearsed.every((c) => c.ref === 'v2' && c.activity === 'rehearseMigration')).toBe(true);
    expect(all.find((c) => caseName(c) === 'rehearse/error')!.expect).toMatchObject({
      outcome: 'aborted',
      writesNeverPaused: true,
    });
    expect(all.filter((c) => c.ref === 'v2-broken-migration' && c.rehearsal)).toEqual([]);
  });

  it("lands a kill inside resume-writes' write point (its resume command), and answers the one gate a case reaches", () => {
    expect(all.find((c) => caseName(c) === 'resume-writes/kill-worker-mid')).toMatchObject({
      activity: 'resumeWrites',
      input: { step: 'resume-writes' },
      landing: { what: 'appctl maintenance-off' },
      expect: { outcome: 'deployed' },
    });
    expect(all.filter((c) => c.answer).map((c) => [caseName(c), c.answer!.gate, c.expect.decided])).toEqual([
      ['resume-writes/error', 'lost-writes', { gate: 'lost-writes', decision: 'approved' }],
    ]);
  });

  it("expects the station's backup method of every case", () => {
    for (const c of all)
      expect(c.expect.backupMethod, caseName(c)).toBe(c.setup === 'in-place+dump' ? 'dump' : 'snapshot');
  });
});
