import type { SchemaDescription } from './schemaCatalog.js';
import type { SchemaObjectKind, SchemaDifference } from '../shared/migrationFacts.js';

const KIND_ORDER: SchemaObjectKind[] = [
  'table',
  'column',
  'index',
  'constraint',
  'enum',
  'sequence',
  'view',
  'function',
  'trigger',
];

/**
 * Compares two schemas object by object. Column order alone is not drift (the app does not see
 * it, and Prisma cannot express it), so it only gives a warning.
 */
export function compareSchemas(
  expected: SchemaDescription,
  actual: SchemaDescription,
): { differences: SchemaDifference[]; warnings: string[] } {
  const key = (o: { kind: string; name: string }) => `${o.kind}\u0000${o.name}`;
  const want = new Map(expected.objects.map((o) => [key(o), o]));
  const have = new Map(actual.objects.map((o) => [key(o), o]));
  const differences: SchemaDifference[] = [];
  for (const k of new Set([...want.keys(), ...have.keys()])) {
    const e = want.get(k);
    const a = have.get(k);
    if (e?.definition === a?.definition) continue;
    differences.push({
      kind: (e ?? a)!.kind,
      object: (e ?? a)!.name,
      expected: e?.definition ?? null,
      actual: a?.definition ?? null,
    });
  }
  differences.sort(
    (x, y) => KIND_ORDER.indexOf(x.kind) - KIND_ORDER.indexOf(y.kind) || x.object.localeCompare(y.object),
  );

  const warnings: string[] = [];
  for (const [table, wanted] of Object.entries(expected.columnOrder)) {
    const had = actual.columnOrder[table];
    if (!had) continue;
    // Relative order of the columns both have: an added or missing column is a difference already.
    const common = wanted.filter((c) => had.includes(c));
    const hadCommon = had.filter((c) => wanted.includes(c));
    if (common.join('\u0000') !== hadCommon.join('\u0000')) {
      warnings.push(
        `column order of ${table} differs (not drift): migrations give ${common.join(', ')}; production has ` +
          `${hadCommon.join(', ')}`,
      );
    }
  }
  return { differences, warnings };
}
