export interface RollbackPlanFacts {
  /** `rehearsal.preferCodeOnly` in the config. */
  preferCodeOnly: boolean;
  /** Every pending migration linted additive. */
  additiveOnly: boolean;
  /** The previous release ran and passed its checks on the rehearsed (migrated) copy; undefined when not tried. */
  previousReleaseCompatible?: boolean;
  /** An approved reset (runbook Option B) replaces the migration: only the backup holds the old rows. */
  reset?: boolean;
  /**
   * What the rehearsed migration did to the data that existed before it, measured on the copy
   * (content checksums of every table and column before and after): empty = nothing changed;
   * undefined = not measured.
   */
  existingDataChanges?: readonly { table: string; what: string }[];
}

export type RollbackStrategy = { strategy: 'restore-database' | 'code-only'; why: string };

/**
 * How a rollback undoes the database, decided before the migration runs. Restoring the backup is
 * always correct but throws away writes made since; reverting code only keeps them, and is right
 * only when the migration is additive and the previous release was proven to run on the new schema.
 */
export function planRollback(f: RollbackPlanFacts): RollbackStrategy {
  if (f.reset)
    return { strategy: 'restore-database', why: 'the database is reset (approved): only the backup holds its rows' };
  if (!f.preferCodeOnly)
    return {
      strategy: 'restore-database',
      why: 'the config prefers restoring the backup (rehearsal.preferCodeOnly false)',
    };
  if (!f.additiveOnly) return { strategy: 'restore-database', why: 'a pending migration is not additive' };
  if (f.previousReleaseCompatible === undefined)
    return {
      strategy: 'restore-database',
      why: 'the previous release was not tried on the new schema (no rehearsal.startPrevious)',
    };
  if (!f.previousReleaseCompatible)
    return { strategy: 'restore-database', why: 'the previous release failed on the migrated copy' };
  // The lint reads the SQL; only the copy shows what it does (a trigger, a USING, a function).
  if (!f.existingDataChanges)
    return {
      strategy: 'restore-database',
      why: 'what the migration does to existing data was not measured on the copy',
    };
  if (f.existingDataChanges.length > 0) {
    return {
      strategy: 'restore-database',
      why:
        `on the rehearsal copy the migration changed existing data ` +
        `(${f.existingDataChanges.map((c) => `${c.table}: ${c.what}`).join('; ')}): a code-only rollback ` +
        `would keep it`,
    };
  }
  return {
    strategy: 'code-only',
    why:
      'the migration is additive, changed no existing value on the rehearsal copy (measured, table by table ' +
      'and column by column), and the previous release passed its checks on the migrated copy: keep the data, ' +
      'revert code and dependencies',
  };
}

/**
 * At rollback time, whether the plan still holds: a migration that did not finish leaves an
 * unknown schema, and a failed data check means the data itself is wrong — both need the backup.
 */
export function restoreAnyway(
  plan: RollbackStrategy,
  o: { migrateSucceeded: boolean; dataCheckFailed: boolean },
): string | undefined {
  if (plan.strategy === 'restore-database') return undefined;
  if (!o.migrateSucceeded) return 'the migration did not finish';
  if (o.dataCheckFailed) return 'the data checks failed';
  return undefined;
}
