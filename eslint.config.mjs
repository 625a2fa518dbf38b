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
  {
    // The library is usable outside VS Code: it must not reach into the editor or the glue around it.
    files: ['extension/restate/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [{ name: 'vscode', message: 'extension/restate/ is editor-independent: it must not import vscode.' }],
        patterns: [
          { group: ['vscode', 'vscode/*'], message: 'extension/restate/ must not import vscode.' },
          { group: ['../explorer/*', '../commands/*', '../graph/*', '../workspace/*', '../extension', '../protocol', '../../*'],
            message: 'extension/restate/ must not import the extension glue.' },
        ],
      }],
    },
  },
);
