// Installs what `npm start` and `npm test` need when it is missing: the extension's packages from the lock
// file, and the real VS Code (code-server) with its system packages. Each step is skipped when its result
// is already there, so running it again costs nothing. Uses only Node built-ins: it runs before any
// package is installed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function run(command, args) {
  const result = spawnSync(command, args, { cwd: repoRoot, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`[install] \`${[command, ...args].join(' ')}\` failed (exit code ${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
}

/** Whether every package the manifest names is installed: a pull may have added one since the last install. */
function packagesInstalled() {
  if (!existsSync(join(repoRoot, 'node_modules/.package-lock.json'))) return false;
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  const names = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies });
  return names.every((name) => existsSync(join(repoRoot, 'node_modules', name, 'package.json')));
}

function onPath(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

export function ensureInstalled() {
  if (!packagesInstalled()) {
    console.log('[install] installing the project\'s packages (npm ci)');
    run('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error']);
  }
  if (!existsSync(join(repoRoot, 'test/vscode-host/node_modules/code-server/out/node/entry.js')) || !existsSync('/usr/bin/chromium') || !onPath('redis-server')) {
    console.log('[install] installing the VS Code test host (code-server, Chromium) and redis-server');
    run('bash', [join(repoRoot, 'test/vscode-host/install.sh')]);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) ensureInstalled();
