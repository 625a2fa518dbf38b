import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'out/', 'extension/restate/dist/', 'media/dist/', 'test/vscode-host/', '**/*.mjs', '**/*.cjs', '**/*.js'] },
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
  // Only the Redis entry (redis.ts, backends/redis/ and the inspector's Redis transport) may import the Redis
  // client, so that importing the core needs none.
  ...['extension/restate/*.ts', 'extension/restate/*/*.ts', 'extension/restate/*/*/*.ts'].map((files, depth) => {
    const redisAllowed = ['extension/restate/redis.ts', 'extension/restate/backends/redis/*.ts', 'extension/restate/inspect/redis.ts'];
    const rule = (allowRedis) => ['error', {
      paths: [{ name: 'vscode', message: 'extension/restate/ is editor-independent: it must not import vscode.' }],
      patterns: [
        { group: ['vscode/*'], message: 'extension/restate/ must not import vscode.' },
        { group: ['../'.repeat(depth + 1) + '*'], message: 'extension/restate/ must not import code outside its folder.' },
        ...(allowRedis ? [] : [{ group: ['@redis/*', 'redis', 'ioredis'], message: 'only extension/restate/redis.ts, backends/redis/ and inspect/redis.ts may import a Redis client.' }]),
      ],
    }];
    const allowedHere = redisAllowed.filter((allowed) => allowed.split('/').length === files.split('/').length);
    return [
      { files: [files], ignores: redisAllowed, rules: { 'no-restricted-imports': rule(false) } },
      ...(allowedHere.length > 0 ? [{ files: allowedHere, rules: { 'no-restricted-imports': rule(true) } }] : []),
    ];
  }).flat(),
);
