/**
 * The databases safe-deploy makes beside production (drift scratch, rehearsal copy, restore
 * scratch, snapshot, kept-aside) and the one guard every DROP DATABASE and rename goes through.
 *
 * Names are computed in bytes: PostgreSQL truncates identifiers at 63 bytes, so a name cut by
 * characters from a multibyte production name (21 × "日" is 63 bytes) truncated to production's
 * own name, and a dry run dropped production. Every database made here is labelled (COMMENT ON
 * DATABASE) right after it is created, and the guard reads the label right before a drop or a
 * rename: production, the maintenance and template databases, and anything not labelled as this
 * very database of this app, environment and production are refused.
 */
import type pg from 'pg';
import type { DbTarget } from '../commands/pg.js';
import type { TargetConfig } from '../config/schema.js';
import { deployFailure, FailureType } from '../shared/errors.js';
import type { StepName } from '../shared/steps.js';
import { quoteIdent, sha256 } from './state.js';

/** PostgreSQL's NAMEDATALEN - 1: longer identifiers are silently truncated. */
export const MAX_IDENTIFIER_BYTES = 63;

/** What each kind of database is called at the end of its name. */
const SUFFIX = {
  'drift-scratch': 'drift',
  'rehearsal-copy': 'rehearsal',
  'restore-scratch': 'restore',
  snapshot: 'snap',
  'kept-aside': 'failed',
} as const;
export type OwnKind = keyof typeof SUFFIX;

/** Whose databases these are: the guard's frame of reference. */
export interface Owner {
  app: string;
  environment: string;
  /** The production database (its real name, ≤ 63 bytes). */
  production: string;
  /** Where safe-deploy connects to create, drop and rename (never dropped itself). */
  maintenance: string;
}

export const ownerOf = (t: TargetConfig, db: DbTarget): Owner => ({
  app: t.app,
  environment: t.environment,
  production: db.database,
  maintenance: t.database.maintenanceDatabase,
});

/** Written on every database safe-deploy makes, read back by the guard and by pruning (and by people: `\l+`). */
export interface OwnLabel {
  kind: OwnKind;
  /**
   * The name it was made under: a label read on any other database (a snapshot renamed into production) does not count.
   */
  name: string;
  app: string;
  environment: string;
  deploymentId: string;
  /** The production database it is a copy of, or was. */
  of: string;
  createdAt: string;
}

export const byteLength = (s: string) => Buffer.byteLength(s, 'utf8');

/** The longest prefix of `s` that fits in `bytes` bytes of UTF-8, cut between characters. */
export function truncateUtf8(s: string, bytes: number): string {
  let out = '';
  let used = 0;
  for (const ch of s) {
    const n = byteLength(ch);
    if (used + n > bytes) break;
    out += ch;
    used += n;
  }
  return out;
}

/**
 * `<production, cut to fit>_sd_<8 hex of the deployment id>_<kind>`, at most 63 bytes, so that
 * PostgreSQL never truncates it. Derived from the deployment id: a retry finds its own work.
 */
export function ownDatabaseName(production: string, deploymentId: string, kind: OwnKind): string {
  const suffix = `_sd_${sha256(deploymentId).slice(0, 8)}_${SUFFIX[kind]}`;
  return truncateUtf8(production, MAX_IDENTIFIER_BYTES - byteLength(suffix)) + suffix;
}

/** Whether `name` is shaped as a database of `kind` that safe-deploy makes for `production` (any deployment). */
export function isOwnName(production: string, name: string, kind: OwnKind): boolean {
  const m = /^(.*)_sd_[0-9a-f]{8}_([a-z]+)$/s.exec(name);
  if (!m || m[2] !== SUFFIX[kind] || name === production) return false;
  return m[1] === truncateUtf8(production, MAX_IDENTIFIER_BYTES - (byteLength(name) - byteLength(m[1]!)));
}

const PROTECTED = ['template0', 'template1'];

function refused(step: StepName, what: string): never {
  throw deployFailure(FailureType.DestructionRefused, {
    step,
    what,
    remedy:
      'nothing was dropped or renamed; inspect the database by hand, and drop it yourself only if you know ' +
      'it is a leftover of safe-deploy',
    retryable: false,
  });
}

function parseLabel(description: string | null): OwnLabel | undefined {
  if (!description?.startsWith(LABEL_PREFIX)) return undefined;
  try {
    return JSON.parse(description.slice(LABEL_PREFIX.length)) as OwnLabel;
  } catch {
    return undefined;
  }
}

const LABEL_PREFIX = 'safe-deploy ';

async function readLabel(c: pg.ClientBase, name: string): Promise<{ exists: boolean; label?: OwnLabel }> {
  const { rows } = await c.query<{ description: string | null }>(
    `SELECT s.description FROM pg_database d
       LEFT JOIN pg_shdescription s ON s.objoid = d.oid AND s.classoid = 'pg_database'::regclass
      WHERE d.datname = $1`,
    [name],
  );
  return rows[0] ? { exists: true, label: parseLabel(rows[0].description) } : { exists: false };
}

/** Refuses a name that is, or could be taken for, a database that is not ours to make or remove. */
function assertNotProtected(owner: Owner, name: string, step: StepName, action: string): void {
  if (byteLength(name) > MAX_IDENTIFIER_BYTES)
    refused(
      step,
      `refused to ${action} ${JSON.stringify(name)}: longer than ${MAX_IDENTIFIER_BYTES} bytes, PostgreSQL ` +
        `would truncate it to another name`,
    );
  if (name === owner.production)
    refused(step, `refused to ${action} ${JSON.stringify(name)}: it is the production database`);
  if (name === owner.maintenance || PROTECTED.includes(name))
    refused(step, `refused to ${action} ${JSON.stringify(name)}: it is the maintenance or a template database`);
}

/**
 * The guard: `name` may be removed (or renamed) only when it is not production, maintenance or
 * a template, and carries safe-deploy's label for this very name, app, environment and
 * production (of one of `kinds`). Returns false when there is no such database.
 */
export async function assertOurs(
  c: pg.ClientBase,
  owner: Owner,
  name: string,
  step: StepName,
  action: string,
  kinds?: readonly OwnKind[],
): Promise<boolean> {
  assertNotProtected(owner, name, step, action);
  const { exists, label } = await readLabel(c, name);
  if (!exists) return false;
  if (!label)
    refused(step, `refused to ${action} ${JSON.stringify(name)}: it is not labelled as a database safe-deploy made`);
  const mismatch = [
    label.name !== name && `it was labelled as ${JSON.stringify(label.name)}`,
    label.of !== owner.production &&
      `it is a copy of ${JSON.stringify(label.of)}, not of ${JSON.stringify(owner.production)}`,
    (label.app !== owner.app || label.environment !== owner.environment) &&
      `it belongs to ${label.app} ${label.environment}`,
    kinds && !kinds.includes(label.kind) && `it is a ${label.kind}, not a ${kinds.join(' or ')}`,
  ].filter(Boolean);
  if (mismatch.length > 0) refused(step, `refused to ${action} ${JSON.stringify(name)}: ${mismatch.join('; ')}`);
  return true;
}

export async function labelDatabase(c: pg.ClientBase, name: string, label: OwnLabel | null): Promise<void> {
  const text = label ? LABEL_PREFIX + JSON.stringify(label) : null;
  // The server quotes (format %I/%L): names and labels may hold quotes, backslashes, anything.
  const { rows } = await c.query<{ sql: string }>(
    `SELECT format('COMMENT ON DATABASE %I IS %s', $1::text, coalesce(quote_literal($2::text), 'NULL')) AS sql`,
    [name, text],
  );
  await c.query(rows[0]!.sql);
}

/** Drops one of safe-deploy's own databases, through the guard; nothing when it is not there. */
export async function dropOwnDatabase(
  c: pg.ClientBase,
  owner: Owner,
  name: string,
  step: StepName,
  kinds?: readonly OwnKind[],
): Promise<boolean> {
  if (!(await assertOurs(c, owner, name, step, 'drop', kinds))) return false;
  await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  return true;
}

export interface CreateOwn {
  deploymentId: string;
  kind: OwnKind;
  step: StepName;
  /**
   * `CREATE DATABASE … TEMPLATE <template> STRATEGY FILE_COPY`; else
   * empty, from template0, with `likeOf`'s encoding and locale.
   */
  template?: string;
  likeOf?: string;
  /** Runs the CREATE (e.g. with the template's door closed); default: run it now. */
  around?: (create: () => Promise<unknown>) => Promise<unknown>;
}

/**
 * Makes `ownDatabaseName(production, deploymentId, kind)`: what an earlier attempt left under
 * that name is dropped through the guard first, and the new database is labelled at once.
 */
export async function createOwnDatabase(c: pg.ClientBase, owner: Owner, o: CreateOwn): Promise<string> {
  const name = ownDatabaseName(owner.production, o.deploymentId, o.kind);
  await dropOwnDatabase(c, owner, name, o.step, [o.kind]);
  let sql: string;
  if (o.template) {
    sql = `CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(o.template)} STRATEGY FILE_COPY`;
  } else {
    const { rows } = await c.query<{ sql: string }>(
      `SELECT format('CREATE DATABASE %I TEMPLATE template0 ENCODING %L LC_COLLATE %L LC_CTYPE %L', ` +
        `$1::text, pg_encoding_to_char(encoding), datcollate, datctype) AS sql
         FROM pg_database WHERE datname = $2`,
      [name, o.likeOf ?? owner.production],
    );
    if (!rows[0]) throw new Error(`database ${o.likeOf ?? owner.production} not found`);
    sql = rows[0].sql;
  }
  const create = () => c.query(sql);
  await (o.around ? o.around(create) : create());
  await labelDatabase(c, name, {
    kind: o.kind,
    name,
    app: owner.app,
    environment: owner.environment,
    deploymentId: o.deploymentId,
    of: owner.production,
    createdAt: new Date().toISOString(),
  });
  return name;
}

/** Labelled databases of this owner, for pruning. */
export async function ownDatabases(c: pg.ClientBase, owner: Owner): Promise<{ name: string; label: OwnLabel }[]> {
  const { rows } = await c.query<{ name: string; description: string }>(
    `SELECT d.datname AS name, s.description FROM pg_database d
       JOIN pg_shdescription s ON s.objoid = d.oid AND s.classoid = 'pg_database'::regclass
      WHERE s.description LIKE $1`,
    [`${LABEL_PREFIX}%`],
  );
  return rows.flatMap((r) => {
    const label = parseLabel(r.description);
    const mine =
      label &&
      label.name === r.name &&
      label.of === owner.production &&
      label.app === owner.app &&
      label.environment === owner.environment;
    return mine && isOwnName(owner.production, r.name, label.kind) ? [{ name: r.name, label }] : [];
  });
}
