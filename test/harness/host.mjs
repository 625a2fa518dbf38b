// Starts a real VS Code for tests and the demo: code-server (from test/vscode-host/) on a free
// 127.0.0.1 port with a throw-away user-data folder, and Debian's chromium driven by playwright-core.
// code-server's CLI rejects --extensionDevelopmentPath and --extensionTestsPath; the web workbench
// takes them from the `payload` query parameter instead (see workbenchUrl).
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const hostFolder = join(repoRoot, 'test/vscode-host');
const codeServerEntry = join(hostFolder, 'node_modules/code-server/out/node/entry.js');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const settings = {
  'workbench.startupEditor': 'none',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'workbench.enableExperiments': false,
  'security.workspace.trust.enabled': false,
  'workbench.tips.enabled': false,
};

/** Fails with what to run when the VS Code host or chromium is not installed. */
export function assertInstalled() {
  const missing = [];
  if (!existsSync(codeServerEntry)) missing.push(`code-server (${codeServerEntry})`);
  if (!existsSync(chromiumPath)) missing.push(`chromium (${chromiumPath})`);
  if (missing.length > 0) {
    throw new Error(`[harness] not installed: ${missing.join(', ')}. Run test/vscode-host/install.sh first.`);
  }
}

/** A fresh folder under the OS temp folder; remove it with removeDir. */
export function makeTempDir(prefix) {
  return mkdtempSync(join(tmpdir(), `restate-${prefix}-`));
}

/** Copies a fixture workspace to a fresh temporary folder, so tests and the demo can write to it. */
export function copyWorkspace(fixture, into) {
  const target = join(into, 'workspace');
  cpSync(fixture, target, { recursive: true });
  return target;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts code-server. `env` is added to its environment, which the extension host inherits.
 * Returns { port, authority, dir, logFile, stop }.
 */
export async function startCodeServer({ env = {}, dir = makeTempDir('vscode') } = {}) {
  assertInstalled();
  const userData = join(dir, 'user-data');
  mkdirSync(join(userData, 'User'), { recursive: true });
  writeFileSync(join(userData, 'User/settings.json'), JSON.stringify(settings, null, 2));
  writeFileSync(join(dir, 'config.yaml'), '');
  const port = await freePort();
  const logFile = join(dir, 'code-server.log');
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, [codeServerEntry,
    '--config', join(dir, 'config.yaml'),
    '--user-data-dir', userData,
    '--extensions-dir', join(dir, 'extensions'),
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--disable-getting-started-override', '--ignore-last-opened',
  ], {
    env: {
      ...process.env,
      // code-server and its helpers write to ~/.config, ~/.local/share and ~/.cache otherwise.
      XDG_DATA_HOME: join(dir, 'xdg-data'),
      XDG_CONFIG_HOME: join(dir, 'xdg-config'),
      XDG_CACHE_HOME: join(dir, 'xdg-cache'),
      ...env,
    },
    stdio: ['ignore', log, log],
    // Its own process group: a file-watcher child can outlive the main process, so stop() kills the group.
    detached: true,
  });
  closeSync(log);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  let running = true;
  void exited.then(() => { running = false; });

  const authority = `127.0.0.1:${port}`;
  const stop = async () => {
    if (running) signalGroup(child.pid, 'SIGTERM');
    await Promise.race([exited, sleep(5000)]);
    signalGroup(child.pid, 'SIGKILL');
  };

  const deadline = Date.now() + 60_000;
  while (true) {
    if (!running) {
      throw new Error(`[harness] code-server exited during start-up; its log is ${logFile}:\n${tail(logFile)}`);
    }
    try {
      if ((await fetch(`http://${authority}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`[harness] code-server did not answer on ${authority} within 60 s; its log is ${logFile}`);
    }
    await sleep(200);
  }
  return { port, authority, dir, logFile, stop };
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone already
  }
}

function tail(file, lines = 20) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * The workbench address for a folder, with the extension loaded in development mode and, when given,
 * the extension tests to run. Payload paths are vscode-remote URIs on the server.
 */
export function workbenchUrl(authority, { folder, extensionDevelopmentPath = repoRoot, extensionTestsPath } = {}) {
  const remote = (path) => `vscode-remote://${authority}${path.replace(/\/$/, '')}`;
  const payload = [['extensionDevelopmentPath', remote(extensionDevelopmentPath)]];
  if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
  const query = new URLSearchParams();
  if (folder) query.set('folder', folder);
  query.set('payload', JSON.stringify(payload));
  return `http://${authority}/?${query.toString().replace(/\+/g, '%20')}`;
}

/** Launches Debian's chromium headless through playwright-core (never `playwright install`). */
export async function launchChromium({ dir, headless = true } = {}) {
  assertInstalled();
  const { chromium } = await import('playwright-core');
  const ownDir = dir === undefined;
  dir ??= makeTempDir('chromium');
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless,
    // chromium writes to ~/.config and ~/.cache otherwise. Playwright gives it a fresh profile itself.
    env: { ...process.env, XDG_CONFIG_HOME: join(dir, 'config'), XDG_CACHE_HOME: join(dir, 'cache') },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  if (ownDir) browser.on('disconnected', () => removeDir(dir));
  return browser;
}

/** Removes a temporary folder, ignoring files that vanish or are still in use. */
export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}
