// Runs every unit test file under test/ (not the VS Code integration tests) with node's test runner.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const skipped = new Set(['integration', 'e2e', 'vscode-host', 'node_modules', 'fixtures']);

function collect(dir) {
  const found = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) {
      if (!skipped.has(name)) found.push(...collect(full));
    } else if (name.endsWith('.test.ts')) {
      found.push(relative(root, full));
    }
  }
  return found;
}

const filter = process.argv.slice(2);
const files = collect(join(root, 'test')).filter((f) => filter.length === 0 || filter.some((s) => f.includes(s)));
if (files.length === 0) {
  console.error('no unit test files matched');
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
