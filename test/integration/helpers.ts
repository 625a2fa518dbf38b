// What the integration suites share: the activated extension, its main state folder, and waiting.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { RestateExtensionApi } from '../../extension/extension';
import type { StateHost } from '../../extension/explorer/stateHost';

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
export function stateHostOf(exports: RestateExtensionApi): StateHost {
  const host = exports.hosts.all.find((candidate) => candidate.label.endsWith('.state'));
  assert.ok(host, 'no host for .state');
  return host;
}

export async function mainHost(): Promise<StateHost> {
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
