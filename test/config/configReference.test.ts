import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CONFIG_REFERENCE_FILE,
  fieldPaths,
  REFERENCE_SECTIONS,
  renderConfigReference,
  SCHEMA_SOURCE_FILE,
  sourceDocs,
} from '../../scripts/lib/configReference.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const schemaSource = readFileSync(join(root, SCHEMA_SOURCE_FILE), 'utf8');
const committed = readFileSync(join(root, CONFIG_REFERENCE_FILE), 'utf8');

describe('docs/config-reference.md', () => {
  it('is what npm run config-reference generates from src/config/schema.ts', () => {
    const generated = renderConfigReference(schemaSource);
    expect(committed === generated, `${CONFIG_REFERENCE_FILE} is out of date: run npm run config-reference`).toBe(true);
  });

  it.each(REFERENCE_SECTIONS.map((s) => [s.constName, s] as const))(
    'has a row for every field path of %s',
    (_name, section) => {
      const paths = fieldPaths(section.schema);
      expect(paths.length).toBeGreaterThan(5);
      const rows = new Set(committed.split('\n').map((line) => /^\| `([^`]+)` \|/.exec(line)?.[1]));
      expect(paths.filter((p) => !rows.has(p))).toEqual([]);
    },
  );

  it('knows the worker config by its deepest paths, records and arrays', () => {
    const paths = fieldPaths(REFERENCE_SECTIONS[0].schema);
    for (const p of [
      'apps.<app>.<env>.backup.method',
      'apps.<app>.<env>.hosts[].taskQueue',
      'apps.<app>.<env>.checks[].expectJson',
      'apps.<app>.<env>.rehearsal.startPrevious.portEnv',
      'apps.<app>.<env>.commandEnv',
      'tools.pgBinDir',
    ])
      expect(paths).toContain(p);
  });

  it("reads each documented field's comment at a path the schema has (no comment is attached to a wrong field)", () => {
    const docs = sourceDocs(schemaSource);
    for (const section of REFERENCE_SECTIONS) {
      const paths = new Set(fieldPaths(section.schema));
      const documented = [...docs.get(section.constName)!.keys()];
      expect(documented.filter((p) => !paths.has(p))).toEqual([]);
    }
    const method = docs.get('workerConfigSchema')!.get('apps.<app>.<env>.backup.method');
    expect(method?.doc).toMatch(/^`dump`: pg_dump before the deployment/);
  });

  it("takes a field's description from the comment above it in the source it is given", () => {
    const comment = '/** With `snapshot`: also take a pg_dump, for disaster recovery off the database server. */';
    expect(schemaSource).toContain(comment);
    const edited = schemaSource.replace(comment, '/** Ünïcödé | a pipe, "quotes" and `code`. */');
    const row = renderConfigReference(edited)
      .split('\n')
      .find((l) => l.startsWith('| `apps.<app>.<env>.backup.dump` |'));
    expect(row).toBe(
      '| `apps.<app>.<env>.backup.dump` | boolean | `true` | Ünïcödé \\| a pipe, "quotes" and `code`. |',
    );
  });

  it('gives the type with enum values, the default and the description of a field', () => {
    const row = (path: string) => committed.split('\n').find((l) => l.startsWith(`| \`${path}\` |`));
    expect(row('apps.<app>.<env>.backup.method')).toMatch(
      /^\| `apps.<app>.<env>.backup.method` \| `dump` \\\| `snapshot` \| `"dump"` \| `dump`: pg_dump before/,
    );
    // .describe() wins; the value's own kind follows after —.
    expect(row('apps.<app>.<env>.appDir')).toMatch(/\| required \| the app's directory: .* — Normalised: /);
    expect(row('ref')).toMatch(/\| required \| A branch, tag or commit/);
    expect(row('apps.<app>.<env>.envFile')).toMatch(/\| — \| the app's KEY=VALUE environment file/);
  });
});
