// ESLint: the rules the Temporal samples and SDK rely on, and the layering of docs/architecture.md.
import { builtinModules } from 'node:module';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

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
      // The SDK's internals (`@temporalio/*/lib/…`) change without notice: its public exports only.
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@temporalio/*/lib/*'], message: "use the package's public exports" }] },
      ],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox, and plan/ is the pure logic it calls:
    // no Node builtins, no activity or config code (types only: they vanish from the bundle).
    files: ['src/workflows/**/*.ts', 'src/plan/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'Node builtins do not run in the workflow sandbox.' })),
          patterns: [
            {
              group: ['**/activities/**', '**/config/**', '**/exec/**', '**/commands/**', '**/lint/**', '**/cli/**'],
              allowTypeImports: true,
              message:
                'workflows/ and plan/ import only shared/, plan/ and workflows/ values (types from elsewhere are fine).',
            },
          ],
        },
      ],
    },
  },
);
