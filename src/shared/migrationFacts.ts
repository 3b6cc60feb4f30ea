/** What the migration history and the drift check report: activity results the workflow, the plan and the CLI read. */

export type MigrationStatus = 'clean' | 'pending' | 'failed' | 'drift' | 'unknown';

export interface MigrationFacts {
  /** What the app's own `prisma migrate status` says about the current release. */
  status: MigrationStatus;
  statusOutput: string;
  /** Finished migrations recorded in `_prisma_migrations`. */
  applied: string[];
  /** Recorded as started but neither finished nor rolled back. */
  failed: string[];
  /** In the target release, not yet applied: what this deployment will run. */
  pendingForTarget: string[];
  /** Applied in the database but absent from the target release. */
  unknownToTarget: string[];
}

export type MigrationState = 'applied' | 'pending' | 'failed' | 'rolled-back' | 'edited' | 'missing-locally';

/** One migration, named in the database, in the target release, or both. */
export interface MigrationEntry {
  name: string;
  state: MigrationState;
  /** As recorded in `_prisma_migrations`. */
  dbChecksum?: string;
  /** Of the target release's migration.sql. */
  localChecksum?: string;
  startedAt?: string;
  finishedAt?: string;
  rolledBackAt?: string;
}

/** SQL the deployment will run, for the migration lint. */
export interface PendingMigrationSql {
  name: string;
  sql: string;
  /** Cut at MAX_SQL_BYTES (MAX_TOTAL_SQL_BYTES for all together): activity results live in history. */
  truncated: boolean;
}

/** Everything inspectMigrations reported, plus the per-migration view from the table itself. */
export interface MigrationHistory extends MigrationFacts {
  targetCommit: string;
  /** What the app's own `prisma migrate status` says (about the checked-out, current release). */
  prismaStatus: MigrationStatus;
  /** Union of the table's rows and the target release's folders, by name. */
  migrations: MigrationEntry[];
  /** Migrations `prisma migrate deploy` would run for the target: pending and rolled-back ones. */
  pendingSql: PendingMigrationSql[];
  /** Where the table and Prisma's own answer disagree. */
  disagreements: string[];
}

export type SchemaObjectKind =
  'table' | 'column' | 'index' | 'constraint' | 'enum' | 'sequence' | 'view' | 'function' | 'trigger';

/** One object that differs: `expected` is what the migrations build, `actual` what production has (null = absent). */
export interface SchemaDifference {
  kind: SchemaObjectKind;
  object: string;
  expected: string | null;
  actual: string | null;
}

export interface DriftReport {
  /** Production differs from what its applied migrations build. */
  drift: boolean;
  /** Every applied migration could be replayed; when false, differences may come from that. */
  complete: boolean;
  differences: SchemaDifference[];
  warnings: string[];
  /** Migrations replayed into the scratch database, in the order production applied them. */
  replayed: string[];
  /** sha256 of the normalised `pg_dump --schema-only` (without `_prisma_migrations`) of both. */
  schemaDumpSha256: { expected: string; actual: string };
  scratchDatabase: string;
  durationMs: number;
}
