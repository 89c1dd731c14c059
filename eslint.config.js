import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.tsbuild/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@sagaflow/*/src/*', '@sagaflow/*/dist/*'], message: 'import a package through its index' },
            {
              group: ['../../contracts/*', '../../orchestrator/*', '../../participants/*', '../../ops/*'],
              message: 'import another package by its name',
            },
          ],
        },
      ],
    },
  },
  {
    // Command-line programs, benchmarks, the chaos suite and test helpers talk to a terminal.
    files: ['ops/src/**', '**/bench/**', 'ops/chaos/**', 'scripts/**', '**/main.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/test/**'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-expressions': 'off',
      // Response bodies in tests are read as the server sent them.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
