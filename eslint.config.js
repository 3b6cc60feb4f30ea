// ESLint: the rules the Temporal samples and SDK rely on, and the layering of docs/architecture.md.
import { builtinModules } from 'node:module';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

// The limits of issue 17 that prettier cannot keep: no line of src/ over 120 characters (a long string or
// comment is split by hand), no workflow file over 150 lines (the runbook reads as phases). Counted in code
// points, as `grep '.\{121,\}'` does.
const limits = {
  rules: {
    'max-line-length': {
      meta: { type: 'layout', schema: [{ type: 'integer', minimum: 1 }] },
      create(context) {
        const max = context.options[0] ?? 120;
        return {
          Program() {
            context.sourceCode.lines.forEach((line, i) => {
              const length = [...line].length;
              if (length > max) {
                context.report({
                  loc: { start: { line: i + 1, column: 0 }, end: { line: i + 1, column: line.length } },
                  message: `line of ${length} characters, over ${max}: split the string with + or the comment`,
                });
              }
            });
          },
        };
      },
    },
    'max-file-lines': {
      meta: { type: 'suggestion', schema: [{ type: 'integer', minimum: 1 }] },
      create(context) {
        const max = context.options[0] ?? 150;
        return {
          Program() {
            const { lines } = context.sourceCode;
            const count = lines.at(-1) === '' ? lines.length - 1 : lines.length;
            if (count > max) {
              context.report({
                loc: { start: { line: max + 1, column: 0 }, end: { line: count, column: 0 } },
                message: `file of ${count} lines, over ${max}: split it into phases or helpers`,
              });
            }
          },
        };
      },
    },
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tools/**', '.safe-deploy/**', 'reports/**', 'examples/**', '**/*.cjs'] },
  {
    files: ['**/*.ts', '**/*.js'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { '@typescript-eslint': tseslint.plugin, 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver()],
      // no-cycle follows imports by parsing each file reached: TypeScript needs its parser.
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.js'],
    },
    rules: {
      // A promise nobody awaits fails silently: in a workflow it is a step nobody waits for.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: ['src/**/*.ts', 'src/**/*.js'],
    plugins: { limits },
    rules: { 'limits/max-line-length': ['error', 120] },
  },
  {
    files: ['src/workflows/**/*.ts'],
    plugins: { limits },
    rules: { 'limits/max-file-lines': ['error', 150] },
  },
  {
    // The SDK's internals (`@temporalio/*/lib/…`) change without notice: src/ uses its public exports only
    // (tests may reach `historyFromJSON`, which the SDK's replay docs import from lib/proto-utils).
    files: ['src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@temporalio/*/lib/*'], message: "use the package's public exports" }] },
      ],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox, and plan/ is the pure logic it calls:
    // no Node builtins, no zod, no code of the worker's layers. Types vanish from the bundle, so
    // config's (z.infer) and lint's types are fine; of activities/ only the index, whose type
    // proxyActivities needs — an activity's result type two layers share belongs in shared/.
    files: ['src/workflows/**/*.ts', 'src/plan/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'Node builtins do not run in the workflow sandbox.' })),
            {
              name: 'zod',
              allowTypeImports: true,
              message: 'zod stays out of the workflow bundle: parse in activities/ or cli/.',
            },
          ],
          patterns: [
            {
              group: ['**/activities/**', '!**/activities/index.js'],
              message:
                'workflows/ and plan/ reach activities only through proxyActivities: move shared types to shared/.',
            },
            {
              group: ['**/activities/index.js'],
              allowTypeImports: true,
              message: 'workflows/ and plan/ import only the type of the activities index (import type).',
            },
            {
              group: ['**/config/**', '**/lint/**'],
              allowTypeImports: true,
              message: 'workflows/ and plan/ import only types from config/ and lint/ (zod stays out of the bundle).',
            },
            {
              group: ['**/postgres/**', '**/release/**', '**/exec/**', '**/commands/**', '**/cli/**'],
              message:
                'workflows/ and plan/ import only shared/, plan/ and workflows/ (and types from config/, lint/).',
            },
          ],
        },
      ],
    },
  },
  {
    // shared/ is what every layer agrees on, the workflow bundle included.
    files: ['src/shared/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({
              name,
              message: 'shared/ is part of the workflow bundle: no Node builtins.',
            })),
            { name: 'zod', allowTypeImports: true, message: 'shared/ is part of the workflow bundle: no zod.' },
          ],
          patterns: [
            {
              group: ['**/config/**'],
              allowTypeImports: true,
              message: 'shared/ imports only types from config/.',
            },
            {
              group: ['**/activities/**', '**/postgres/**', '**/release/**', '**/exec/**', '**/commands/**'],
              message: 'shared/ imports nothing of the worker: the types it shares are defined here.',
            },
            { group: ['**/workflows/**', '**/plan/**', '**/cli/**', '**/lint/**'], message: 'shared/ is below them.' },
          ],
        },
      ],
    },
  },
  {
    // The PostgreSQL and release helpers serve the activities: they may use the activity runtime
    // (activityDeps: heartbeat, commands run inside an activity; commandFailure) but never a factory.
    files: ['src/postgres/**/*.ts', 'src/release/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/activities/**', '!**/activities/activityDeps.js', '!**/activities/commandFailure.js'],
              message: 'postgres/ and release/ are below the activity factories: only activityDeps and commandFailure.',
            },
            {
              group: ['**/workflows/**', '**/cli/**'],
              message: 'postgres/ and release/ are below the workflow and CLI.',
            },
          ],
        },
      ],
    },
  },
);
