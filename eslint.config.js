// Lint for bugs a type checker does not catch, not for style (prettier formats; .prettierrc.json).
// Type-aware: rules that need types read tsconfig.json's program through the project service.
import js from '@eslint/js'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'reports/', '.stryker-tmp/', '.bench/', '.test-results/'] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: {
        // One program for every linted file: tsconfig.json's, plus the scripts' and bin's JavaScript (allowJs).
        project: './tsconfig.eslint.json',
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // A promise nobody awaits loses its rejection (an unhandled rejection ends the process) and its ordering: await
      // it, or write `void` with a comment saying why fire-and-forget is intended.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // An empty catch must hold a comment saying why the error is dropped (no-empty accepts a block with a comment).
      'no-empty': ['error', { allowEmptyCatch: false }],
      // Unused names starting with _ are deliberate (a parameter a signature requires).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // bin/run.js is CommonJS on purpose (an ES module entry starts Node's ESM loader: docs/startup.md).
    files: ['bin/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Its types come from sea-target.d.mts, which TypeScript then reads instead of the file: lint it without types.
    files: ['scripts/sea-target.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { parserOptions: { project: null } },
  },
  {
    // TypeScript itself reports undefined names in .ts files, better than no-undef can.
    files: ['**/*.ts'],
    rules: { 'no-undef': 'off' },
  },
)
