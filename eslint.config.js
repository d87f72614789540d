import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/build/**',
      'docs/api/**',
      'runs/**',
      '.tmp/**',
      'test/docs/.generated/**',
      '**/*.cjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // The library never prints: it takes a logger. Only the CLI and benches may use console.
      'no-console': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['examples/**', '**/bench/**', '**/test/**', '**/scripts/**', 'test/**'],
    rules: { 'no-console': 'off' },
  },
);
