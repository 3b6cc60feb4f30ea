import type { Rule } from '../types.js';

const RELIES: Record<string, string> = {
  'primary key':
    "its uniqueness, and ON CONFLICT on it (Prisma's upsert), are gone: the previous release's ON CONFLICT " +
    'fails and duplicates can get in',
  unique:
    "its uniqueness, and ON CONFLICT on it (Prisma's upsert), are gone: the previous release's ON CONFLICT " +
    'fails and duplicates can get in',
  exclusion: 'rows it kept out can get in, and ON CONFLICT on it fails',
  'foreign key':
    'its ON DELETE/ON UPDATE actions stop and rows can point at nothing: the previous release relies on both',
  check: 'values it rejected can get in, and the previous release reads them as impossible',
};

export const dropConstraint: Rule = {
  id: 'drop-constraint',
  severity: 'risky',
  kinds: [],
  summary:
    'ALTER TABLE … DROP CONSTRAINT removes a guarantee the previous release relies on (uniqueness and ' +
    'upserts, cascades, checks)',
  safer:
    'Release code that no longer relies on the constraint first, then drop it in a later release. Dropping ' +
    "and adding it back under the same name in one migration (changing a foreign key's ON DELETE) is fine.",
  // At the end: a constraint dropped and added back later in the same migration is replaced, not gone.
  check: () => [],
  end: (ctx) =>
    ctx.droppedConstraints
      // A CHECK (col IS NOT NULL) dropped once the column is NOT NULL (set-not-null's recipe) guarded nothing more.
      .filter((d) => !(d.facts?.notNullOf !== undefined && ctx.schema.column(d.table, d.facts.notNullOf)?.notNull))
      .map((d) => ({
        at: d.at,
        message:
          `drops ${d.facts ? `${d.facts.kind} ` : 'constraint '}${d.name} from ${d.tableName}: ` +
          (d.facts
            ? RELIES[d.facts.kind]
            : 'whatever it guaranteed (uniqueness and upserts, cascades, checks) the previous release relies on'),
      })),
};
