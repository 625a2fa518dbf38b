// Runs every unit test file under test/ (not the VS Code integration tests) with node's test runner.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const skipped = new Set(['integration', 'e2e', 'package', 'vscode-host', 'node_modules', 'fixtures']);

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
// A test file that never ends (a stuck child process, a loop) must fail the run, not hold it forever.
const limitMs = 25 * 60_000;
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: 'inherit',
  timeout: limitMs,
  killSignal: 'SIGKILL',
});
if (result.error !== undefined || result.signal !== null) {
  console.error(`[test:unit] the unit tests did not finish within ${limitMs / 60_000} minutes (${result.error?.message ?? result.signal})`);
  process.exit(1);
}
process.exit(result.status ?? 1);
