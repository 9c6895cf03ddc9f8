// @ts-check
// Lint for src/, test/, bench/, seeds/ and migrations/: typescript-eslint's type-aware
// recommended rules, imports at the top, no unused code, no floating promises. Run by
// `npm run lint` (and so by `npm test`) with --max-warnings 0.
import { defineConfig } from 'eslint/config';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import globals from 'globals';

/**
 * TEMPORARY (issue 20): files other helpers were restructuring when lint arrived. Each entry
 * turns off only the rules that fired in those files then (the commit that added this block
 * counts them per file); every other rule applies to them. Delete an entry once its files
 * lint clean, and this block with the last one.
 */
const PENDING_RESTRUCTURE = {
  'src/api/server.ts': ['no-base-to-string', 'no-unsafe-assignment', 'no-unsafe-call', 'no-unsafe-member-access'],
  'src/api/broadcast.ts': ['no-unnecessary-type-assertion', 'no-unsafe-argument'],
  'src/events/**': ['no-explicit-any', 'no-unnecessary-type-assertion', 'unused-disable-directive'],
  'src/modules/benefits/**': ['no-unnecessary-type-assertion'],
  'src/modules/members/**': ['no-unnecessary-type-assertion'],
  'src/modules/points/**': ['no-unnecessary-type-assertion', 'no-unsafe-argument', 'import-x/first', 'import-x/no-duplicates'],
  'src/modules/retention/**': ['no-unnecessary-type-assertion', 'no-unsafe-return', 'no-unused-vars', 'unused-disable-directive'],
  'src/modules/rewards/**': ['no-unnecessary-type-assertion', 'import-x/no-duplicates'],
  'src/modules/segments/**': ['no-unnecessary-type-assertion', 'no-base-to-string'],
  'src/modules/tags/**': ['no-unnecessary-type-assertion'],
  'src/modules/tiers/**': ['no-unnecessary-type-assertion'],
};

/** @type {import('eslint').Linter.Config[]} */
const pendingRestructure = Object.entries(PENDING_RESTRUCTURE).map(([files, rules]) => ({
  files: [files],
  ...(rules.includes('unused-disable-directive') ? { linterOptions: { reportUnusedDisableDirectives: 'off' } } : {}),
  rules: Object.fromEntries(rules.filter((r) => r !== 'unused-disable-directive')
    .map((r) => [r.startsWith('import-x/') ? r : `@typescript-eslint/${r}`, 'off'])),
}));

export default defineConfig(
  { ignores: ['node_modules/', 'dist/', 'coverage/', '.data/', 'bench/.results/'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
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
  ...pendingRestructure,
);
