// `npm start`: brings up a real VS Code (code-server on 127.0.0.1) with the extension in development
// mode on a copy of the demo workspace, whose state changes live, and prints the address to open. When
// redis-server is installed, the workspace also gets a Redis root, on a server of its own, that changes live.
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
const writers = [];
let redis;
let host;
let stopping = false;
async function stop(code) {
  if (stopping) return;
  stopping = true;
  await Promise.all(writers.map((writer) => stopWriter(writer)));
  await host?.stop();
  await redis?.dispose();
  removeDir(dir);
  process.exit(code);
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => void stop(0));

let redisLine;
let workspace;
try {
  workspace = copyWorkspace(join(repoRoot, 'test/fixtures/demo-workspace'), dir);
  writers.push(startWriter([join(workspace, '.state')]));
  // Loaded after ensureInstalled: it needs the project's packages.
  const { addRedisRoot, redisServerInstalled, startRedisServer } = await import('./demo-redis.mjs');
  if (redisServerInstalled()) {
    redis = await startRedisServer();
    const root = { url: redis.url, prefix: 'demo', label: 'Redis (demo)' };
    addRedisRoot(workspace, root);
    writers.push(startWriter(['--redis', root.url, root.prefix]));
    redisLine = `Redis:     ${root.label}, prefix ${root.prefix} on ${root.url} (/requests and /sessions change every second)`;
  } else {
    redisLine = 'Redis:     redis-server is not installed, so the demo has no Redis root (test/vscode-host/install.sh installs it)';
  }
  host = await startCodeServer({ dir: join(dir, 'vscode') });
} catch (error) {
  console.error(`[start] ${error instanceof Error ? error.message : String(error)}`);
  await stop(1);
}

console.log(`
  Restate State Explorer demo
  Open:      ${workbenchUrl(host.authority, { folder: workspace })}
  Workspace: ${workspace} (/clock and /counter change every second; /doubled and /status follow)
  ${redisLine}
  Log:       ${host.logFile}
  The server listens on 127.0.0.1 only; from another machine, forward the port (ssh -L ${host.port}:127.0.0.1:${host.port}).
  Press Ctrl-C to stop.
`);

function startWriter(args) {
  // Its own process group, as code-server's: Ctrl-C reaches only this process, which stops the writers first,
  // so that none of them reports the end of another as its own failure.
  const writer = spawn(process.execPath, [join(repoRoot, 'test/harness/demo-writer.mjs'), ...args], { stdio: 'inherit', detached: true });
  writer.on('exit', (code) => {
    if (!stopping) {
      console.error(`[start] a demo writer stopped (exit code ${code}): ${args.join(' ')}`);
      void stop(1);
    }
  });
  return writer;
}

function stopWriter(writer) {
  if (writer.exitCode !== null || writer.signalCode !== null) return Promise.resolve();
  const exited = new Promise((resolve) => writer.once('exit', resolve));
  writer.kill('SIGTERM');
  return exited;
}
