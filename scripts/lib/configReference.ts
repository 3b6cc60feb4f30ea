/**
 * docs/config-reference.md from the zod schemas of src/config/schema.ts: one row per field path,
 * its type, default and description. A description is the field's `.describe()`, else the JSDoc
 * comment above it in schema.ts (read with the TypeScript compiler, not by pattern), else the JSDoc
 * of the named schema it is built from (`baseUrl: httpUrl` → httpUrl's comment).
 */
import ts from 'typescript';
import type { z } from 'zod';
import { deployRequestSchema, releaseManifestSchema, workerConfigSchema } from '../../src/config/schema.js';

export const CONFIG_REFERENCE_FILE = 'docs/config-reference.md';
export const SCHEMA_SOURCE_FILE = 'src/config/schema.ts';

/** The schemas the reference covers: the exported const's name in schema.ts, its schema, its heading. */
export const REFERENCE_SECTIONS = [
  { constName: 'workerConfigSchema', schema: workerConfigSchema, title: 'The worker config' },
  { constName: 'deployRequestSchema', schema: deployRequestSchema, title: 'The request (the workflow argument)' },
  {
    constName: 'releaseManifestSchema',
    schema: releaseManifestSchema,
    title: 'The release manifest (`.safe-deploy.json` in the release)',
  },
] as const;

export interface FieldRow {
  path: string;
  type: string;
  /** `required`, `—` (optional, no default) or the default as JSON. */
  default: string;
  description: string;
}

/** What schema.ts's source says about one field path: its JSDoc, and the named schema it is built from. */
interface SourceDoc {
  doc?: string;
  helper?: string;
}

/** The placeholder segment of a record's key, named after the record. */
function recordKey(path: string): string {
  const last = path.split('.').pop()?.replace(/\[\]$/, '') ?? '';
  const names: Record<string, string> = {
    apps: '<app>',
    '<app>': '<env>',
    commandEnv: '<NAME>',
    expectJson: '<field>',
    capture: '<variable>',
  };
  return names[last] ?? '<key>';
}

const child = (path: string, name: string) => (path ? `${path}.${name}` : name);

// --- schema.ts's source: JSDoc per field path -------------------------------------------------------

function jsDocText(node: ts.Node): string | undefined {
  const docs = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
  const last = docs[docs.length - 1];
  const text = last ? ts.getTextOfJSDocComment(last.comment) : undefined;
  return text ? text.replace(/\s+/g, ' ').trim() : undefined;
}

/** The identifier a builder chain starts from (`envName.default('X').describe()` → envName), unless it is `z`. */
function rootIdentifier(expr: ts.Expression): string | undefined {
  let e: ts.Expression = expr;
  for (;;) {
    if (ts.isCallExpression(e)) e = e.expression;
    else if (ts.isPropertyAccessExpression(e)) e = e.expression;
    else break;
  }
  return ts.isIdentifier(e) && e.text !== 'z' ? e.text : undefined;
}

/** Field path → JSDoc, for each section's const, following the named schemas the fields are built from. */
export function sourceDocs(source: string): Map<string, Map<string, SourceDoc>> {
  const file = ts.createSourceFile(SCHEMA_SOURCE_FILE, source, ts.ScriptTarget.ES2022, true);
  const consts = new Map<string, { init: ts.Expression; doc?: string }>();
  for (const statement of file.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const decl of statement.declarationList.declarations)
      if (ts.isIdentifier(decl.name) && decl.initializer)
        consts.set(decl.name.text, { init: decl.initializer, doc: jsDocText(decl) });
  }

  const walk = (expr: ts.Expression, path: string, out: Map<string, SourceDoc>, seen: Set<string>): void => {
    if (ts.isIdentifier(expr)) {
      const target = consts.get(expr.text);
      if (target && !seen.has(expr.text)) walk(target.init, path, out, new Set([...seen, expr.text]));
      return;
    }
    if (!ts.isCallExpression(expr) || !ts.isPropertyAccessExpression(expr.expression)) return;
    const callee = expr.expression;
    const fromZ = ts.isIdentifier(callee.expression) && callee.expression.text === 'z';
    const [first, second] = expr.arguments;
    if (fromZ && callee.name.text === 'object' && first && ts.isObjectLiteralExpression(first)) {
      for (const prop of first.properties) {
        if (!ts.isPropertyAssignment(prop) || !(ts.isIdentifier(prop.name) || ts.isStringLiteral(prop.name))) continue;
        const fieldPath = child(path, prop.name.text);
        out.set(fieldPath, { doc: jsDocText(prop), helper: rootIdentifier(prop.initializer) });
        walk(prop.initializer, fieldPath, out, seen);
      }
    } else if (fromZ && callee.name.text === 'array' && first) item(first, `${path}[]`, out, seen);
    else if (fromZ && callee.name.text === 'record' && second) item(second, child(path, recordKey(path)), out, seen);
    else if (!fromZ) walk(callee.expression, path, out, seen); // .optional(), .strict(), .default(…), …
  };

  /** Does this builder chain make an object (a row of its own), following the consts it names? */
  const buildsObject = (expr: ts.Expression, seen: Set<string>): boolean => {
    if (ts.isIdentifier(expr)) {
      const target = consts.get(expr.text);
      return !!target && !seen.has(expr.text) && buildsObject(target.init, new Set([...seen, expr.text]));
    }
    if (!ts.isCallExpression(expr) || !ts.isPropertyAccessExpression(expr.expression)) return false;
    const callee = expr.expression;
    if (ts.isIdentifier(callee.expression) && callee.expression.text === 'z') return callee.name.text === 'object';
    return buildsObject(callee.expression, seen);
  };
  // An array's item or a record's value: a row of its own when it is an object (`checks[]`, `apps.<app>.<env>`).
  const item = (expr: ts.Expression, path: string, out: Map<string, SourceDoc>, seen: Set<string>): void => {
    if (buildsObject(expr, seen)) out.set(path, { helper: rootIdentifier(expr) });
    walk(expr, path, out, seen);
  };

  const result = new Map<string, Map<string, SourceDoc>>();
  for (const { constName } of REFERENCE_SECTIONS) {
    const target = consts.get(constName);
    if (!target)
      throw new Error(`${SCHEMA_SOURCE_FILE} has no const ${constName}: update scripts/lib/configReference.ts`);
    const out = new Map<string, SourceDoc>();
    walk(target.init, '', out, new Set([constName]));
    result.set(constName, out);
  }
  const helperDocs = new Map<string, SourceDoc>();
  for (const [name, c] of consts) if (c.doc) helperDocs.set(name, { doc: c.doc });
  result.set('', helperDocs);
  return result;
}

// --- the runtime schema: one row per field path -----------------------------------------------------

// zod 4's definitions, read as data: the public API does not expose checks and wrapped types uniformly.
interface Def {
  type: string;
  innerType?: z.ZodType;
  defaultValue?: unknown;
  in?: z.ZodType;
  out?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  entries?: Record<string, string>;
  values?: unknown[];
  format?: string;
  checks?: { _zod: { def: CheckDef } }[];
  error?: () => unknown;
}
interface CheckDef {
  check: string;
  format?: string;
  value?: number | bigint;
  inclusive?: boolean;
  minimum?: number;
  maximum?: number;
  error?: () => unknown;
}
const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

function messageOf(error: (() => unknown) | undefined): string | undefined {
  try {
    const m = error?.();
    return typeof m === 'string' ? m : undefined;
  } catch {
    return undefined;
  }
}

interface Unwrapped {
  core: z.ZodType;
  description?: string;
  defaultValue?: unknown;
  hasDefault: boolean;
  optional: boolean;
}

/** Through optional/default/pipe wrappers to the schema that says what the value is. */
function unwrap(schema: z.ZodType): Unwrapped {
  let s = schema;
  const u: Unwrapped = { core: s, hasDefault: false, optional: false };
  for (;;) {
    u.description ??= s.description;
    const d = defOf(s);
    if (d.type === 'optional' || d.type === 'nullable' || d.type === 'readonly') {
      if (d.type === 'optional') u.optional = true;
      s = d.innerType!;
    } else if (d.type === 'default' || d.type === 'prefault') {
      if (!u.hasDefault) u.defaultValue = d.defaultValue;
      u.hasDefault = true;
      s = d.innerType!;
    } else if (d.type === 'pipe') {
      s = defOf(d.out!).type === 'transform' ? d.in! : d.out!;
    } else break;
  }
  u.core = s;
  return u;
}

function lengthBounds(checks: CheckDef[], unit: string): string {
  const min = checks.find((c) => c.check === 'min_length')?.minimum;
  const max = checks.find((c) => c.check === 'max_length')?.maximum;
  if (min === 1 && max === undefined) return unit === 'items' ? 'at least 1 item' : 'non-empty';
  if (min !== undefined && max !== undefined) return `${min}–${max} ${unit}`;
  if (min !== undefined) return `at least ${min} ${unit}`;
  if (max !== undefined) return `at most ${max} ${unit}`;
  return '';
}

function typeOf(schema: z.ZodType): string {
  const { core } = unwrap(schema);
  const d = defOf(core);
  const checks = (d.checks ?? []).map((c) => c._zod.def);
  const withNotes = (name: string, notes: (string | undefined)[]) => {
    const kept = notes.filter((n): n is string => !!n);
    return kept.length ? `${name} (${kept.join('; ')})` : name;
  };
  switch (d.type) {
    case 'string': {
      if (d.format === 'url') return withNotes('URL', [messageOf(d.error)]);
      const patterns = checks.filter((c) => c.format === 'regex').map((c) => messageOf(c.error));
      return withNotes('string', [...patterns, lengthBounds(checks, 'characters')]);
    }
    case 'number': {
      const int = checks.some((c) => c.check === 'number_format');
      const bound = (check: string, strict: string, loose: string) => {
        const c = checks.find((x) => x.check === check);
        return c ? `${c.inclusive ? loose : strict} ${String(c.value)}` : undefined;
      };
      return withNotes(int ? 'integer' : 'number', [bound('greater_than', '>', '≥'), bound('less_than', '<', '≤')]);
    }
    case 'boolean':
      return 'boolean';
    case 'enum':
      return Object.values(d.entries ?? {})
        .map((v) => `\`${v}\``)
        .join(' \\| ');
    case 'literal':
      return (d.values ?? []).map((v) => `\`${JSON.stringify(v)}\``).join(' \\| ');
    case 'union':
      return (d.options ?? []).map(typeOf).join(' or ');
    case 'array': {
      const element = defOf(unwrap(d.element!).core).type === 'object' ? 'objects' : typeOf(d.element!);
      return withNotes(`array of ${element}`, [lengthBounds(checks, 'items')]);
    }
    case 'record':
      return `map of ${typeOf(d.keyType!)} to ${defOf(unwrap(d.valueType!).core).type === 'object' ? 'objects' : typeOf(d.valueType!)}`;
    case 'object':
      return 'object';
    case 'lazy':
      return 'any JSON value'; // z.json()
    case 'custom':
      return withNotes('custom', [messageOf(d.error)]).replace(/^custom \((.*)\)$/, '$1');
    default:
      return d.type; // json, unknown, …
  }
}

function rowsOf(schema: z.ZodType, path: string, rows: { path: string; schema: z.ZodType }[]): void {
  const d = defOf(unwrap(schema).core);
  if (path) rows.push({ path, schema });
  if (d.type === 'object')
    for (const [key, value] of Object.entries(d.shape ?? {})) rowsOf(value, child(path, key), rows);
  else if (d.type === 'array' && defOf(unwrap(d.element!).core).type === 'object')
    rowsOf(d.element!, `${path}[]`, rows);
  else if (d.type === 'record' && ['object', 'record'].includes(defOf(unwrap(d.valueType!).core).type))
    rowsOf(d.valueType!, child(path, recordKey(path)), rows);
}

/** Every field path of a schema, `apps.<app>.<env>.backup.method` style (`checks[].name` for arrays). */
export function fieldPaths(schema: z.ZodType): string[] {
  const rows: { path: string; schema: z.ZodType }[] = [];
  rowsOf(schema, '', rows);
  return rows.map((r) => r.path);
}

export function fieldRows(schema: z.ZodType, docs: Map<string, SourceDoc>, helperDocs: Map<string, SourceDoc>) {
  const rows: { path: string; schema: z.ZodType }[] = [];
  rowsOf(schema, '', rows);
  return rows.map(({ path, schema: field }): FieldRow => {
    const u = unwrap(field);
    const source = docs.get(path);
    const own = u.description ?? source?.doc;
    const helper = source?.helper ? helperDocs.get(source.helper)?.doc : undefined;
    const description = [own, helper].filter((t): t is string => !!t).join(' — ');
    const defaultText = u.hasDefault ? `\`${JSON.stringify(u.defaultValue)}\`` : u.optional ? '—' : 'required';
    return { path, type: typeOf(field), default: defaultText, description };
  });
}

const cell = (text: string) => text.replace(/\r?\n/g, ' ').replace(/(?<!\\)\|/g, '\\|');

/** The whole of docs/config-reference.md, from schema.ts's source text and the imported schemas. */
export function renderConfigReference(schemaSource: string): string {
  const docs = sourceDocs(schemaSource);
  const helperDocs = docs.get('')!;
  const lines = [
    '# Configuration reference',
    '',
    '<!-- Generated by `npm run config-reference` (scripts/configReference.ts) from src/config/schema.ts:',
    '     do not edit by hand; test/config/configReference.test.ts fails when it is out of date. -->',
    '',
    'Every field of the worker config, the request and the release manifest, generated from their zod',
    "schemas in `src/config/schema.ts`. A description is the field's `.describe()` or the comment above it",
    'in the schema (after `—`: the comment of the kind of value it is). `<app>` and `<env>` stand for the',
    'keys of `apps`; `[]` is each item of a list. What the fields do together, with examples:',
    '[configuration.md](configuration.md).',
  ];
  for (const section of REFERENCE_SECTIONS) {
    lines.push('', `## ${section.title}`, '', '| field | type | default | description |', '|---|---|---|---|');
    for (const row of fieldRows(section.schema, docs.get(section.constName)!, helperDocs))
      lines.push(`| \`${row.path}\` | ${cell(row.type)} | ${cell(row.default)} | ${cell(row.description)} |`);
  }
  return `${lines.join('\n')}\n`;
}
