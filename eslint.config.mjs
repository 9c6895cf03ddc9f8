// @ts-check
// Lint for src/, test/, bench/, seeds/, migrations/ and the console (admin/src, with its own
// tsconfig, which the project service finds): typescript-eslint's type-aware recommended rules,
// imports at the top, no unused code, no floating promises; for the console's React code also
// the rules of hooks. Run by `npm run lint` (and so by `npm test`) with --max-warnings 0.
import { defineConfig } from 'eslint/config';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';

export default defineConfig(
  // admin/src/gql/: GraphQL Code Generator's output (checked by test/console/codegen.test.ts instead).
  { ignores: ['node_modules/', 'dist/', 'coverage/', '.data/', 'bench/.results/', 'admin/dist/', 'admin/src/gql/', 'docs/screenshots/'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  {
    files: ['**/*.ts', 'admin/src/**/*.tsx'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    rules: {
      'import-x/first': 'error',
      'import-x/no-duplicates': 'error',
      // `_name` marks a parameter a signature requires (Express's error handler, a GraphQL
      // argument the subscription reads elsewhere); `{ dropped, ...rest }` drops a field.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', ignoreRestSiblings: true }],
      '@typescript-eslint/no-floating-promises': 'error',
      // Promise.all over values that may or may not be promises (`void | Promise<void>`) is fine.
      '@typescript-eslint/await-thenable': ['error', { allowMixedPromiseArrays: true }],
      // Off: an async function without await is often an interface's (Apollo plugin hooks,
      // MikroORM migrations), and dropping `async` turns a rejection into a synchronous throw.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    files: ['admin/src/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  {
    // Tests and benchmarks read GraphQL responses and SQL rows as `any` and assert their
    // exact shape; typing each one would add nothing the assertion does not check.
    files: ['test/**/*.ts', 'bench/**/*.ts', 'src/**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: { ...globals.node } },
  },
);
