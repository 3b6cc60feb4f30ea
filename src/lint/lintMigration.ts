import { kindOf, type NodeKind } from './ast.js';
import { MigrationContext, NewObjects } from './context.js';
import { DEFAULT_SIZE_THRESHOLDS, weighBySize, type DatabaseFacts, type SizeThresholds } from './databaseFacts.js';
import { megabytes, parseMigrationInPieces, type ParseLimits, type ParsedPieces } from './parse.js';
import { rules as allRules } from './rules/index.js';
import { SchemaModel } from './schema.js';
import type {
  Finding,
  FindingSeverity,
  LintReport,
  MigrationLint,
  MigrationSeverity,
  Rule,
  TableCost,
} from './types.js';

export interface MigrationSource {
  name: string;
  sql: string;
  /** Shown in findings; default `<name>/migration.sql`. */
  file?: string;
}

export interface LintLimits extends ParseLimits {
  /** A bigger migration is not parsed: it gets one `migration-too-large` error (the migration is `invalid`). */
  maxMigrationBytes: number;
  /** Findings of one rule listed per migration; the rest are counted in one `findings-truncated` notice. */
  maxFindingsPerRule: number;
}

export const DEFAULT_LIMITS: LintLimits = {
  maxMigrationBytes: 64 * 1024 * 1024,
  maxStatementBytes: 8 * 1024 * 1024,
  pieceBytes: 1024 * 1024,
  maxFindingsPerRule: 100,
};

export interface LintOptions {
  /** Default: every rule. */
  rules?: readonly Rule[];
  limits?: Partial<LintLimits>;
  /**
   * What the live database's catalog says (readDatabaseFacts): function volatility, table sizes, the server version.
   */
  database?: DatabaseFacts;
  /** With `database`: when a lock-time finding is risky, and the throughput of the lock-time estimate. */
  sizes?: Partial<SizeThresholds>;
}

const RANK: Record<MigrationSeverity, number> = { additive: 0, risky: 1, destructive: 2, invalid: 3 };

/**
 * The worst of some severities: destructive > risky > additive; an `error` finding (or an
 * `invalid` migration) makes it `invalid`; notices raise nothing. Nothing at all is `additive`.
 */
export function worstSeverity(severities: Iterable<FindingSeverity | MigrationSeverity>): MigrationSeverity {
  let worst: MigrationSeverity = 'additive';
  for (const s of severities) {
    const m: MigrationSeverity | undefined = s === 'error' ? 'invalid' : s === 'notice' ? undefined : s;
    if (m !== undefined && RANK[m] > RANK[worst]) worst = m;
  }
  return worst;
}

/**
 * Lints migrations in order, each on top of what the ones before it built (`SchemaModel`): a
 * constraint validated or an index built in an earlier migration counts. Pure and synchronous.
 */
export class Linter {
  private readonly schema = new SchemaModel();
  private readonly rules: readonly Rule[];
  private readonly limits: LintLimits;
  /** The rules to run on a statement of each kind, in registry order (built as kinds show up). */
  private readonly byKind = new Map<NodeKind, readonly Rule[]>();
  private readonly database: DatabaseFacts | undefined;
  private readonly sizes: SizeThresholds;

  constructor(options: LintOptions = {}) {
    this.rules = options.rules ?? allRules;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.database = options.database;
    this.sizes = { ...DEFAULT_SIZE_THRESHOLDS, ...options.sizes };
  }

  private rulesFor(kind: NodeKind): readonly Rule[] {
    let rules = this.byKind.get(kind);
    if (!rules) this.byKind.set(kind, (rules = this.rules.filter((r) => !r.kinds || r.kinds.includes(kind))));
    return rules;
  }

  /**
   * Parses one migration (statement by statement when it is big) and runs every rule on every
   * statement in order, with the context of what the statements before it did. `created` holds
   * the objects of the deployment it belongs to (default: its own). `parsed`: the same SQL already
   * parsed as `parseMigrationInPieces(sql, limits)` would (by the parse worker).
   */
  lint(
    name: string,
    sql: string,
    file = `${name}/migration.sql`,
    created = new NewObjects(),
    parsed?: ParsedPieces,
  ): MigrationLint {
    const bytes = sql.length * 3 > this.limits.maxMigrationBytes ? Buffer.byteLength(sql) : 0;
    if (bytes > this.limits.maxMigrationBytes) return this.tooLarge(name, file, bytes);
    parsed ??= parseMigrationInPieces(sql, this.limits);
    const ctx = new MigrationContext(parsed.statementCount, this.schema, created, this.database);
    const findings: Finding[] = [];
    const perRule = new Map<string, number>();
    /** Of every finding, listed or not: a finding on a small table may be a notice where its rule is risky. */
    const severities = new Set<FindingSeverity>();
    const add = (rule: Rule, f: Omit<Finding, 'rule' | 'severity' | 'file'>, cost?: TableCost) => {
      const n = (perRule.get(rule.id) ?? 0) + 1;
      perRule.set(rule.id, n);
      const weighed = cost
        ? weighBySize({ severity: rule.severity, message: f.message }, cost, this.database, this.sizes)
        : { severity: rule.severity, message: f.message };
      severities.add(weighed.severity);
      if (n <= this.limits.maxFindingsPerRule) findings.push({ rule: rule.id, file, ...f, ...weighed });
    };
    for (const piece of parsed.pieces()) {
      if (!piece.ok) {
        const { line, message, statement, tooLarge } = piece.error;
        return invalid(name, file, {
          rule: tooLarge ? 'migration-too-large' : 'parse-error',
          line,
          statement,
          message: tooLarge ? message : `does not parse: ${message}`,
          safer: tooLarge
            ? 'Split the statement (e.g. an INSERT of many rows into several), or load the data outside ' +
              'migrations (COPY in a job).'
            : 'Fix the SQL; PostgreSQL would reject this migration at deploy.',
        });
      }
      for (const stmt of piece.statements) {
        for (const rule of this.rulesFor(kindOf(stmt.node))) {
          if (rule.oncePerMigration && perRule.has(rule.id)) continue;
          for (const v of rule.check(stmt, ctx)) {
            add(
              rule,
              {
                line: stmt.line,
                statement: stmt.text,
                message: v.message,
                safer: v.safer ?? rule.safer,
                ...(v.removesRowsOf ? { removesRowsOf: v.removesRowsOf } : {}),
              },
              v.cost,
            );
            if (rule.oncePerMigration) break;
          }
        }
        ctx.record(stmt);
      }
    }
    const ended = findings.length;
    for (const rule of this.rules) {
      for (const v of rule.end?.(ctx) ?? [])
        add(rule, { line: v.at.line, statement: v.at.text, message: v.message, safer: v.safer ?? rule.safer });
    }
    // stable: one statement's findings keep the registry order
    if (findings.length > ended) findings.sort((a, b) => a.line - b.line);
    for (const [id, n] of perRule) {
      if (n > this.limits.maxFindingsPerRule) {
        findings.push({
          rule: 'findings-truncated',
          severity: 'notice',
          file,
          line: 1,
          statement: '',
          message: `${n - this.limits.maxFindingsPerRule} more ${id} findings not listed (${n} in all)`,
          safer: 'The listed ones show the pattern; the severity counts them all.',
        });
      }
    }
    return { name, severity: worstSeverity(severities), findings };
  }

  /** The lint of a migration over `maxMigrationBytes`, which is not read further. */
  tooLarge(name: string, file: string, bytes: number): MigrationLint {
    return invalid(name, file, {
      rule: 'migration-too-large',
      line: 1,
      statement: '',
      message: `migration too large to parse (${megabytes(bytes)} > ${megabytes(this.limits.maxMigrationBytes)})`,
      safer:
        'Split it into smaller migrations, or load bulk data outside migrations (COPY from a file, in a ' +
        'job); or raise the limit (--max-migration-mb) where the machine has the memory.',
    });
  }

  /** True when a migration of `bytes` is over the limit (it is then neither read nor parsed). */
  isTooLarge(bytes: number): boolean {
    return bytes > this.limits.maxMigrationBytes;
  }

  /** Reads an applied migration for what it built, reporting nothing. */
  learn(sql: string): void {
    if (sql.length * 3 > this.limits.maxMigrationBytes && this.isTooLarge(Buffer.byteLength(sql))) return;
    const parsed = parseMigrationInPieces(sql, this.limits);
    const ctx = new MigrationContext(parsed.statementCount, this.schema);
    for (const piece of parsed.pieces()) {
      if (!piece.ok) return;
      for (const stmt of piece.statements) ctx.record(stmt);
    }
  }
}

/** A migration that is not linted further: its one `error` finding makes it `invalid`. */
function invalid(name: string, file: string, f: Omit<Finding, 'file' | 'severity'>): MigrationLint {
  return {
    name,
    severity: 'invalid',
    findings: [
      {
        rule: f.rule,
        severity: 'error',
        file,
        line: f.line,
        statement: f.statement,
        message: f.message,
        safer: f.safer,
      },
    ],
  };
}

/** Lints one migration on its own. */
export function lintMigration(name: string, sql: string, file?: string, options: LintOptions = {}): MigrationLint {
  return new Linter(options).lint(name, sql, file);
}

/**
 * Lints a migration history in order (Prisma applies them sorted by folder name), each as if
 * deployed alone after the ones before it: what they built and validated counts, but a table an
 * earlier migration created is an existing table (it may hold rows by now).
 */
export function lintMigrations(items: readonly MigrationSource[], options: LintOptions = {}): LintReport {
  const linter = new Linter(options);
  return { migrations: items.map((m) => linter.lint(m.name, m.sql, m.file)) };
}

/**
 * Lints the migrations one deployment applies, in order, after `applied` (read for what they
 * built, not reported). A table an earlier migration of the same deployment created is still
 * new: empty, unknown to the previous release.
 */
export function lintDeployment(
  pending: readonly MigrationSource[],
  options: LintOptions & { applied?: readonly MigrationSource[] } = {},
): LintReport {
  const linter = new Linter(options);
  for (const m of options.applied ?? []) linter.learn(m.sql);
  const created = new NewObjects();
  return { migrations: pending.map((m) => linter.lint(m.name, m.sql, m.file, created)) };
}
