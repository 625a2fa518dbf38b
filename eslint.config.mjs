import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'out/', 'media/dist/', 'test/vscode-host/', '**/*.mjs', '**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/ban-ts-comment': ['error', { 'ts-ignore': true, 'ts-nocheck': true, 'ts-expect-error': 'allow-with-description' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  // The library is usable outside VS Code: nothing under extension/restate/ may import vscode or reach out
  // of its folder into the glue around it. One block per folder depth, since patterns match import text.
  ...['extension/restate/*.ts', 'extension/restate/*/*.ts', 'extension/restate/*/*/*.ts'].map((files, depth) => ({
    files: [files],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'extension/restate/ is editor-independent: it must not import vscode.' }],
        patterns: [
          { group: ['vscode/*'], message: 'extension/restate/ must not import vscode.' },
          { group: ['../'.repeat(depth + 1) + '*'], message: 'extension/restate/ must not import code outside its folder.' },
        ],
      }],
    },
  })),
);
