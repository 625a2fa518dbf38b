// `npm start`: brings up a real VS Code (code-server on 127.0.0.1) with the extension in development
// mode on a copy of the demo workspace, whose state changes live, and prints the address to open.
// Installs what is missing first. Runs until Ctrl-C, then stops everything it started.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureInstalled } from './ensure-installed.mjs';
import { copyWorkspace, makeTempDir, removeDir, repoRoot, startCodeServer, workbenchUrl } from './host.mjs';

function run(command, args) {
  const result = spawnSync(command, args, { cwd: repoRoot, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`[start] \`${[command, ...args].join(' ')}\` failed`);
    process.exit(result.status ?? 1);
  }
}

ensureInstalled();
run(process.execPath, ['esbuild.mjs']);

const dir = makeTempDir('demo');
const workspace = copyWorkspace(join(repoRoot, 'test/fixtures/demo-workspace'), dir);
const host = await startCodeServer({ dir: join(dir, 'vscode') });
const writer = spawn(process.execPath, [join(repoRoot, 'test/harness/demo-writer.mjs'), join(workspace, '.state')], {
  stdio: 'inherit',
});

console.log(`
  Restate State Explorer demo
  Open:      ${workbenchUrl(host.authority, { folder: workspace })}
  Workspace: ${workspace} (/clock and /counter change every second; /doubled and /status follow)
  Log:       ${host.logFile}
  The server listens on 127.0.0.1 only; from another machine, forward the port (ssh -L ${host.port}:127.0.0.1:${host.port}).
  Press Ctrl-C to stop.
`);

let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  writer.kill('SIGTERM');
  await host.stop();
  removeDir(dir);
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
writer.on('exit', (code) => {
  if (!stopping) {
    console.error(`[start] the demo writer stopped (exit code ${code})`);
    void stop(1);
  }
});
