import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { RestateExtensionApi } from '../../extension/extension';
import type { ExplorerNode, StateNode } from '../../extension/explorer/stateTree';
import { activatedApi, extensionId, outputChannelText, stateHostOf, until, workspaceFolder } from './helpers';

function extension(): vscode.Extension<RestateExtensionApi> {
  const found = vscode.extensions.getExtension<RestateExtensionApi>(extensionId);
  assert.ok(found, `extension ${extensionId} is not loaded`);
  return found;
}

const stateDir = (): string => join(workspaceFolder().uri.fsPath, '.state');

/** The top-level nodes of the main state folder as the view lists them (under its folder item in multi-folder). */
async function topLevel(exports: RestateExtensionApi): Promise<StateNode[]> {
  let items: ExplorerNode[] = await exports.tree.getChildren();
  const hostItem = items.find((item) => item.kind === 'host' && item.host === stateHostOf(exports));
  if (hostItem) items = await exports.tree.getChildren(hostItem);
  return items.filter((item): item is StateNode => item.kind === 'state');
}

async function labelAndDescription(exports: RestateExtensionApi, node: ExplorerNode): Promise<{ label: string; description: string }> {
  const item = await exports.tree.getTreeItem(node);
  return {
    label: typeof item.label === 'string' ? item.label : item.label?.label ?? '',
    description: typeof item.description === 'string' ? item.description : '',
  };
}

/** The node names that a state folder's entries stand for: `a.json` and the folder `a` are both node `a`. */
function nodeNamesOnDisk(folder: string): string[] {
  const names = readdirSync(folder)
    .filter((name) => !(name.startsWith('.') && name.endsWith('.tmp')))
    .map((name) => (name.endsWith('.json') ? name.slice(0, -'.json'.length) : name));
  return [...new Set(names)].sort();
}

suite('extension', () => {
  test('activates by itself in a workspace with a state folder, and the State Explorer lists that folder', async () => {
    // No activate() call here: opening the workspace must have been enough.
    assert.equal(extension().isActive, true);
    const exports = extension().exports;
    await exports.hosts.whenReady();
    const shown = await Promise.all((await topLevel(exports)).map((node) => labelAndDescription(exports, node)));
    assert.deepEqual(shown.map((item) => item.label), nodeNamesOnDisk(stateDir()));
    // A node with a plain value shows it next to its name, as its value file holds it.
    const counter = shown.find((item) => item.label === 'counter');
    assert.ok(counter, 'counter is not listed');
    const onDisk = JSON.parse(readFileSync(join(stateDir(), 'counter.json'), 'utf8')) as unknown;
    assert.equal(counter.description.split(' · ')[0], JSON.stringify(onDisk));
  });

  test('the Output channel tells when the extension activated and how many state folders it found', async () => {
    await activatedApi();
    const log = await until(() => {
      const text = outputChannelText();
      return /state folder\(s\) found/.test(text) && text;
    }, 'the Output channel does not tell how many state folders were found');
    assert.match(log, /activated in \d+ ms/);
    assert.match(log, /[1-9]\d* state folder\(s\) found \d+ ms after activation began/);
  });

  test('every contributed command is registered, and has a title the Command Palette can show', async () => {
    await activatedApi();
    const manifest = extension().packageJSON as { contributes: { commands: { command: string; title: string }[] } };
    const nls = JSON.parse(readFileSync(join(extension().extensionPath, 'package.nls.json'), 'utf8')) as Record<string, string>;
    const contributed = manifest.contributes.commands;
    assert.ok(contributed.length > 0);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(contributed.map((entry) => entry.command).filter((id) => !registered.has(id)), []);
    // VS Code may hand out the manifest localized or not; either way each title must come out as words.
    const shownTitle = (title: string): string | undefined => {
      const key = /^%(.+)%$/.exec(title)?.[1];
      return key === undefined ? title : nls[key];
    };
    const untitled = contributed.filter((entry) => !/^\p{Lu}/u.test(shownTitle(entry.title) ?? ''));
    assert.deepEqual(untitled.map((entry) => `${entry.command}: ${entry.title}`), []);
  });

  test('focusing the State Explorer shows its view', async () => {
    const exports = await activatedApi();
    await vscode.commands.executeCommand('workbench.view.explorer');
    await until(() => !exports.view.visible, 'the State Explorer stayed visible while the file explorer was shown');
    await vscode.commands.executeCommand('restate.explorer.focus');
    await until(() => exports.view.visible, 'the State Explorer view is not visible after focusing it');
  });

  test('Refresh shows what changed in a folder the file watcher does not see', async () => {
    // The workspace's files.watcherExclude leaves .state/unwatched out, as a network drive would be.
    const exports = await activatedApi();
    const folder = join(stateDir(), 'unwatched');
    const file = join(folder, 'probe.json');
    const probeShown = async (): Promise<string | undefined> => {
      const parent = (await topLevel(exports)).find((node) => node.path === '/unwatched');
      if (!parent) return undefined;
      const probe = (await exports.tree.getChildren(parent)).find((node) => node.kind === 'state' && node.path === '/unwatched/probe');
      return probe && (await labelAndDescription(exports, probe)).description;
    };
    const wholeViewRefreshes: unknown[] = [];
    const subscription = exports.tree.onDidChangeTreeData((event) => {
      if (event === undefined) wholeViewRefreshes.push(event);
    });
    try {
      assert.equal(await probeShown(), undefined);
      mkdirSync(folder);
      writeFileSync(file, '1');
      assert.equal(await probeShown(), undefined, 'the watcher saw the new folder: the test needs one it does not see');
      await vscode.commands.executeCommand('restate.refresh');
      assert.equal(await probeShown(), '1', 'the new folder and its node are not listed after Refresh');
      writeFileSync(file, '"two"');
      wholeViewRefreshes.length = 0;
      await vscode.commands.executeCommand('restate.refresh');
      assert.equal(wholeViewRefreshes.length, 1, 'Refresh did not make the view ask for everything again');
      assert.equal(await probeShown(), '"two"', 'the changed value is not shown after Refresh');
    } finally {
      subscription.dispose();
      if (existsSync(folder)) rmSync(folder, { recursive: true, force: true });
      await vscode.commands.executeCommand('restate.refresh');
    }
    assert.equal(await probeShown(), undefined, 'the removed folder is still listed after Refresh');
  });
});
