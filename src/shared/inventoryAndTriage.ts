/**
 * The facts behind the two fixes a person may approve before a deployment: a reset of a drifted
 * database (the runbook's Option B) and the resolution of a failed migration. Shared by the
 * activities that gather them, the pure planning, the workflow and the report.
 */

/** One table of production, for a person (or a DBA) deciding whether its data may be thrown away. */
export interface TableRows {
  /** `schema.table`. */
  name: string;
  /** Counted exactly, up to the inventory's `countedUpTo`; `more`: it has more rows than that. */
  rows: number;
  more: boolean;
  /** The planner's estimate (pg_class.reltuples; -1 when never analysed) and the size on disk. */
  estimatedRows: number;
  bytes: number;
}

/** What production holds, read only: the basis of the reset decision. */
export interface DataInventory {
  /** `drift.resetMaxRows`: a reset is offered only when every table holds at most this many rows (0: never). */
  maxRows: number;
  /** Row counts are exact up to this number (counting stops there: a count never scans a big table). */
  countedUpTo: number;
  /** The biggest tables first (at most 50); every table was counted, also those not listed. */
  tables: TableRows[];
  tableCount: number;
  totalBytes: number;
  /** Every table named `users` or `user` (any case, any schema), counted exactly. */
  users: { table: string; rows: number }[];
  /** Tables holding more than `maxRows` rows (at most 50 named). */
  overThreshold: string[];
  /** `maxRows` > 0 and no table holds more: a reset may be offered. */
  withinThreshold: boolean;
}

/** What the catalogs say about one object a statement creates (present) or drops (absent). */
export interface CatalogFact {
  /** `table public.satshot_tokens`, `column public.users.satshotConnected`, … */
  object: string;
  /** What the statement makes true once it took effect. */
  expectPresent: boolean;
  /** What the catalogs show now. */
  present: boolean;
}

export type StatementEffect = 'applied' | 'not-applied' | 'unknown' | 'no-effect';

/** One statement of a failed migration and whether it took effect, with the evidence. */
export interface StatementEvidence {
  /** 1-based position in the migration, and the line it starts on. */
  index: number;
  line: number;
  /** Its SQL, trimmed and bounded. */
  sql: string;
  /** libpg-query's node kind: `CreateStmt`, `AlterTableStmt`, … */
  kind: string;
  effect: StatementEffect;
  /** One line per catalog fact, or why the catalogs cannot tell. */
  evidence: string[];
  /** SQL that undoes it once it took effect, when there is such SQL (a DROP cannot be undone). */
  undo?: string;
}

export type Resolution = 'resolve-applied' | 'resolve-rolled-back';

/** A failed migration, statement by statement, and how it may be resolved. */
export interface MigrationTriage {
  migration: string;
  /** The migration.sql of the failed attempt, relative to the app: `prisma/migrations/<name>/migration.sql`. */
  file: string;
  /** The checksum `_prisma_migrations` recorded for the failed attempt. */
  checksum: string;
  /** The commit whose migration.sql has that checksum (the SQL that ran); undefined when none was found. */
  sourceCommit?: string;
  /** The target release carries the very same migration.sql (the condition for `resolve-applied`). */
  sameInTarget: boolean;
  statements: StatementEvidence[];
  proposal?: Resolution;
  /** Why this proposal, or why none (`grounds`, not `why`: a step result with `why` reads as Skipped). */
  grounds: string;
  /** The start of Prisma's log of the failed attempt (the database error). */
  logs?: string;
}
