// What the integration suites share: the activated extension, its main state folder, and waiting.
import * as assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import type { RestateExtensionApi } from '../../extension/extension';
import type { ExplorerNode, StateNode } from '../../extension/explorer/stateTree';
import { hasFiles, type FileStateHost, type StateHost } from '../../extension/sources/stateHost';

export const extensionId = 'restate.restate-state-explorer';

/** The extension's API, once it is active and has found the workspace's state folders. */
export async function activatedApi(): Promise<RestateExtensionApi> {
  const extension = vscode.extensions.getExtension<RestateExtensionApi>(extensionId);
  assert.ok(extension, `extension ${extensionId} is not loaded`);
  const exports = await extension.activate();
  await exports.hosts.whenReady();
  return exports;
}

/** The host of the first workspace folder's `.state`. */
export function stateHostOf(exports: RestateExtensionApi): FileStateHost {
  const host = exports.hosts.all.find((candidate) => candidate.label.endsWith('.state'));
  assert.ok(host, 'no host for .state');
  assert.ok(hasFiles(host), '.state is not a state folder');
  return host;
}

export async function mainHost(): Promise<FileStateHost> {
  return stateHostOf(await activatedApi());
}

export function workspaceFolder(): vscode.WorkspaceFolder {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the tests need an open workspace folder');
  return folder;
}

/**
 * Polls `check` until it gives something other than undefined or false, and returns that. On time-out it
 * fails with `message`, the last error `check` threw, and whatever `details` adds.
 */
export async function until<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  message: string,
  options: { timeoutMs?: number; details?: () => Promise<string> | string } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const result = await check();
      if (result !== undefined && result !== false) return result;
    } catch (error) {
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const cause = lastError instanceof Error ? `: ${lastError.message}` : '';
  const details = options.details === undefined ? '' : `\n${await options.details()}`;
  throw new Error(`${message} (after ${timeoutMs} ms)${cause}${details}`);
}

/**
 * What the extension's Output channel holds so far, read from the log file VS Code keeps for it. The test
 * harness runs code-server with its user data next to XDG_DATA_HOME; the file is in that session's logs.
 */
export function outputChannelText(): string {
  const dataHome = process.env.XDG_DATA_HOME;
  assert.ok(dataHome, 'XDG_DATA_HOME is not set: the Output channel is only found under the test harness');
  const logs = join(dirname(dataHome), 'user-data', 'logs');
  assert.ok(existsSync(logs), `no logs folder at ${logs}`);
  const files = readdirSync(logs, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith(`${extensionId}/Restate State Explorer.log`));
  assert.ok(files.length > 0, `no log file of the Output channel under ${logs}`);
  return files.map((file) => readFileSync(join(logs, file), 'utf8')).join('');
}

/** The children of a node (or of the root), as the view would get them. */
export async function children(exports: RestateExtensionApi, node?: ExplorerNode): Promise<ExplorerNode[]> {
  return (await exports.tree.getChildren(node)) ?? [];
}

/** The node of a path, walking down from the root (through the source's row, when there is one) like a user expanding the tree. */
export async function nodeAt(exports: RestateExtensionApi, host: StateHost, path: string): Promise<StateNode | undefined> {
  let level: ExplorerNode[] = await children(exports);
  const hostNode = level.find((node) => node.kind === 'host' && node.host === host);
  if (hostNode) level = await children(exports, hostNode);
  let found: StateNode | undefined;
  const segments = path.split('/').filter(Boolean);
  for (let depth = 0; depth < segments.length; depth++) {
    const wanted = `/${segments.slice(0, depth + 1).join('/')}`;
    found = level.find((node): node is StateNode => node.kind === 'state' && node.path === wanted);
    if (!found) return undefined;
    if (depth < segments.length - 1) level = await children(exports, found);
  }
  return found;
}
