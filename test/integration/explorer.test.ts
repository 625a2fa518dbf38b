import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ListedChange } from '../../extension/changes/commands';
import type { RestateExtensionApi } from '../../extension/extension';
import { hasFiles, type StateChange } from '../../extension/sources/stateHost';
import type { ExplorerNode, StateNode, StateTreeProvider } from '../../extension/explorer/stateTree';
import { collect, collectPaths } from '../../extension/commands/find';
import { activatedApi as api, children, extensionId, nodeAt, stateHostOf as mainHost, outputChannelText, until, workspaceFolder } from './helpers';

const extension = (): vscode.Extension<RestateExtensionApi> => vscode.extensions.getExtension<RestateExtensionApi>(extensionId)!;

const stateDir = (): string => join(workspaceFolder().uri.fsPath, '.state');

/** Runs a script in another Node process, as another app writing the state folder would. */
function otherProcess(script: string): void {
  const result = spawnSync(process.execPath, ['-e', script], { cwd: stateDir(), encoding: 'utf8', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
  assert.equal(result.status, 0, `the other process failed: ${result.stderr}`);
}

async function stateChildren(exports: RestateExtensionApi, node?: ExplorerNode): Promise<StateNode[]> {
  return (await children(exports, node)).filter((child): child is StateNode => child.kind === 'state');
}

async function descriptionOf(exports: RestateExtensionApi, node: ExplorerNode): Promise<string> {
  const item = await exports.tree.getTreeItem(node);
  return typeof item.description === 'string' ? item.description : '';
}

/** Rebuilds a node's read (S10) from what the tree shows: own values and state children. */
async function readFromTree(exports: RestateExtensionApi, parent: ExplorerNode | undefined): Promise<Record<string, unknown>> {
  const result: Record<string, unknown> = {};
  for (const node of await stateChildren(exports, parent)) {
    const info = node.info;
    assert.ok(info, `${node.path} was not read`);
    assert.equal(info.error, undefined, `${node.path}: ${info.error?.message}`);
    const name = node.path.slice(node.path.lastIndexOf('/') + 1);
    if (info.hasChildren) {
      const below = await readFromTree(exports, node);
      result[name] = info.hasValue ? { '/': info.value, ...below } : below;
    } else {
      result[name] = info.value;
    }
  }
  return result;
}

/** Collects the tree's change events until the returned function is called. */
function recordRefreshes(exports: RestateExtensionApi): { events: (ExplorerNode | ExplorerNode[] | undefined | null | void)[]; stop: () => void } {
  const events: (ExplorerNode | ExplorerNode[] | undefined | null | void)[] = [];
  const subscription = exports.tree.onDidChangeTreeData((event) => events.push(event));
  return { events, stop: () => subscription.dispose() };
}

/** Whether one of the recorded tree refreshes covers the node of `path` (the whole tree covers every node). */
function refreshedNode(events: readonly (ExplorerNode | ExplorerNode[] | undefined | null | void)[], path: string): boolean {
  return events.some((event) => event === undefined || event === null
    || (Array.isArray(event) ? event : [event]).some((node) => node.kind === 'state' && node.path === path));
}

suite('State Explorer', () => {
  test('activation returns the hosts and the tree', async () => {
    const exports = await api();
    assert.equal(exports.hosts.all.length, 1);
    const host = exports.hosts.all[0];
    assert.equal(host.label, '.state');
    assert.ok(hasFiles(host));
    assert.equal(host.stateFolder.fsPath, stateDir());
    assert.equal(host.fileFor('/users/alice').fsPath, join(stateDir(), 'users', 'alice.json'));
    assert.equal(host.fileFor('/').fsPath, `${stateDir()}.json`);
    assert.ok(host.id.endsWith('|.state'));
  });

  test('the tree matches the fixture state folder', async () => {
    const exports = await api();
    const top = await stateChildren(exports);
    assert.deepEqual(top.map((node) => node.path), ['/app', '/clock', '/counter', '/doubled', '/settings', '/status', '/users']);
    const expected = await mainHost(exports).controller.getState('/');
    assert.deepEqual(await readFromTree(exports, undefined), expected);
    const counter = top.find((node) => node.path === '/counter')!;
    assert.equal(await descriptionOf(exports, counter), '0');
    const item = await exports.tree.getTreeItem(counter);
    assert.equal(item.accessibilityInformation?.label, 'counter');
    assert.ok(item.id?.endsWith(':/counter'));
    assert.equal(item.resourceUri?.scheme, 'restate-state');
  });

  test('object values expand to their inner structure, read-only', async () => {
    const exports = await api();
    const zoe = await nodeAt(exports, mainHost(exports), '/users/zoe');
    assert.ok(zoe);
    assert.equal(await descriptionOf(exports, zoe), '{3 keys}');
    const inner = await children(exports, zoe);
    assert.ok(inner.length === 3 && inner.every((node) => node.kind === 'inner'));
    const items = await Promise.all(inner.map((node) => exports.tree.getTreeItem(node)));
    assert.ok(items.every((item) => item.contextValue === 'restate.inner'));
    assert.equal(exports.tree.getParent(inner[0]), zoe);
  });

  test('a folder node shows how many children it has; a node with its own value and children shows that value apart from them', async () => {
    const exports = await api();
    const host = mainHost(exports);
    assert.equal(await descriptionOf(exports, (await nodeAt(exports, host, '/settings'))!), '5 children');
    assert.equal(await descriptionOf(exports, (await nodeAt(exports, host, '/users'))!), '3 children');
    const app = await nodeAt(exports, host, '/app');
    assert.ok(app);
    assert.equal(await descriptionOf(exports, app), '{2 keys} · 2 children');
    const [ownValue, ...rest] = await children(exports, app);
    assert.equal(ownValue.kind, 'inner');
    const item = await exports.tree.getTreeItem(ownValue);
    assert.equal(item.label, '= {2 keys}');
    assert.equal(item.description, 'own value, from app.json');
    assert.equal(item.accessibilityInformation?.label, 'own value of app');
    assert.deepEqual(rest.map((node) => node.kind === 'state' && node.path), ['/app/name', '/app/version']);
    const inside = await children(exports, ownValue);
    assert.deepEqual(await Promise.all(inside.map(async (node) => (await exports.tree.getTreeItem(node)).label)), ['owner', 'public']);
  });

  test('another process writes, renames and deletes files, and the tree follows', async () => {
    const exports = await api();
    const host = mainHost(exports);
    await nodeAt(exports, host, '/users/alice');
    const changes: StateChange[] = [];
    const subscription = host.onDidChangeState((burst) => changes.push(...burst));
    try {
      otherProcess("require('fs').writeFileSync('counter.json', '41')");
      await until(async () => (await descriptionOf(exports, (await nodeAt(exports, host, '/counter'))!)) === '41', 'counter did not become 41');

      otherProcess("require('fs').writeFileSync('users/dave.json', JSON.stringify({ name: 'Dave' }))");
      await until(() => nodeAt(exports, host, '/users/dave'), 'dave did not appear');
      // The tree may list the file before the watcher's burst is reported: wait for the report too.
      await until(() => changes.some((change) => change.path === '/users/dave' && change.kind === 'created'), 'the new file was not reported as created');

      otherProcess("require('fs').renameSync('users/dave.json', 'users/david.json')");
      await until(async () => (await nodeAt(exports, host, '/users/david')) && !(await nodeAt(exports, host, '/users/dave')), 'the rename did not show');

      otherProcess("require('fs').rmSync('users/david.json')");
      await until(async () => !(await nodeAt(exports, host, '/users/david')), 'david did not go');
      await until(() => changes.some((change) => change.path === '/users/david' && change.kind === 'deleted'), 'the deleted file was not reported as deleted');

      otherProcess("require('fs').mkdirSync('jobs/nightly', { recursive: true }); require('fs').writeFileSync('jobs/nightly/status.json', '\"ok\"')");
      await until(() => nodeAt(exports, host, '/jobs/nightly/status'), 'a new folder did not show');
    } finally {
      subscription.dispose();
      rmSync(join(stateDir(), 'jobs'), { recursive: true, force: true });
      await host.settled();
    }
  });

  test('a value change refreshes only that node, never the whole tree', async () => {
    const exports = await api();
    const host = mainHost(exports);
    const bob = await nodeAt(exports, host, '/users/bob');
    assert.ok(bob);
    // Let changes left by earlier tests pass, so that only this one is recorded.
    await host.settled();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { events, stop } = recordRefreshes(exports);
    try {
      await vscode.commands.executeCommand('restate.setValue', '/users/bob', '{"name": "Bob", "age": 99}');
      await host.settled();
      await until(() => events.length > 0, 'no refresh');
      assert.ok(events.every((event) => event !== undefined && event !== null), 'the whole tree was refreshed');
      const refreshed = events.flat() as ExplorerNode[];
      assert.ok(refreshed.some((node) => node.id === bob.id));
      assert.ok(refreshed.every((node) => node.kind === 'state' && node.path.startsWith('/users')));
    } finally {
      stop();
    }
  });

  test('Set Value writes JSONC given as an argument, and refuses invalid text', async () => {
    const exports = await api();
    const host = mainHost(exports);
    assert.equal(await vscode.commands.executeCommand('restate.setValue', '/settings/theme', '"solarized" // comment'), true);
    assert.equal(await host.controller.getState('/settings/theme'), 'solarized');
    assert.equal(readFileSync(join(stateDir(), 'settings/theme.json'), 'utf8'), '"solarized"');
    assert.equal(await vscode.commands.executeCommand('restate.setValue', { path: '/settings/theme', host: host.id }, '{"oops": }'), false);
    assert.equal(await host.controller.getState('/settings/theme'), 'solarized');
    assert.equal(await vscode.commands.executeCommand('restate.setValue', '/settings/theme', '"solarized"'), false, 'an equal value is not written');
  });

  test('Edit Value, Add Child, Ping, Delete with arguments', async () => {
    const exports = await api();
    const host = mainHost(exports);
    const counter = await nodeAt(exports, host, '/counter');
    assert.equal(await vscode.commands.executeCommand('restate.editValue', counter, '7'), true);
    assert.equal(await host.controller.getState('/counter'), 7);

    assert.equal(await vscode.commands.executeCommand('restate.addChild', '/users', 'carol', '{"name": "Carol"}'), '/users/carol');
    assert.deepEqual(await host.controller.getState('/users/carol'), { name: 'Carol' });
    assert.ok(existsSync(join(stateDir(), 'users/carol.json')));

    await host.settled();
    const pinged = new Promise<StateChange[]>((resolve) => {
      const subscription = host.onDidChangeState((burst) => {
        if (!burst.some((change) => change.kind === 'pinged')) return;
        subscription.dispose();
        resolve(burst.filter((change) => change.kind === 'pinged'));
      });
    });
    assert.equal(await vscode.commands.executeCommand('restate.ping', '/users/carol'), true);
    assert.deepEqual(await pinged, [{ path: '/users/carol', cause: 'api', kind: 'pinged' }]);

    assert.equal(await vscode.commands.executeCommand('restate.delete', '/users/carol', true), true);
    assert.equal(existsSync(join(stateDir(), 'users/carol.json')), false);
    assert.equal(await vscode.commands.executeCommand('restate.delete', '/users/carol', true), false);
    await host.settled();
  });

  test('S130 Edit Value asks when the file changed since the edit began: Keep Theirs or Overwrite', async () => {
    const exports = await api();
    const host = mainHost(exports);
    const target = { path: '/conflicts/edited', host: host.id };
    const file = join(stateDir(), 'conflicts/edited.json');
    try {
      assert.equal(await vscode.commands.executeCommand('restate.setValue', target, '"v1"'), true);
      otherProcess(`require('node:fs').writeFileSync('conflicts/edited.json', '"theirs"')`);
      assert.equal(await vscode.commands.executeCommand('restate.editValue', target, '"mine"', { basedOn: 'v1', onConflict: 'keepTheirs' }), false);
      assert.equal(readFileSync(file, 'utf8'), '"theirs"');
      assert.equal(await host.controller.getState('/conflicts/edited'), 'theirs', 'the other program\'s value is what the controller has');

      otherProcess(`require('node:fs').writeFileSync('conflicts/edited.json', '"theirs again"')`);
      assert.equal(await vscode.commands.executeCommand('restate.editValue', target, '"mine"', { basedOn: 'theirs', onConflict: 'overwrite' }), true);
      assert.equal(readFileSync(file, 'utf8'), '"mine"');
      assert.equal(await host.controller.getState('/conflicts/edited'), 'mine');

      assert.equal(await vscode.commands.executeCommand('restate.editValue', target, '"unchanged since"', { basedOn: 'mine', onConflict: 'keepTheirs' }), true,
        'a file nobody else changed is written without asking');
    } finally {
      await vscode.commands.executeCommand('restate.delete', '/conflicts', true);
      await host.settled();
    }
  });

  test('S130 Edit Value in its input box: a file written while the box is open is kept when the answer is Keep Theirs', async () => {
    const exports = await api();
    const host = mainHost(exports);
    const target = { path: '/conflicts/typed', host: host.id };
    const file = join(stateDir(), 'conflicts/typed.json');
    try {
      assert.equal(await vscode.commands.executeCommand('restate.setValue', target, '"before"'), true);
      await host.settled();
      let finished = false;
      const editing = Promise.resolve(vscode.commands.executeCommand<boolean>('restate.editValue', target, undefined, { onConflict: 'keepTheirs' }))
        .finally(() => {
          finished = true;
        });
      // The edit began when the box opened, prefilled with "before"; another program writes meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal(finished, false, 'the input box is open');
      otherProcess(`require('node:fs').writeFileSync('conflicts/typed.json', '"written while editing"')`);
      await until(async () => (await host.controller.getState('/conflicts/typed')) === 'written while editing',
        'the watcher did not report the other program\'s write');
      // The box still holds "before": accepting it is an edit that began before that write.
      await until(async () => {
        await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
        await new Promise((resolve) => setTimeout(resolve, 200));
        return finished;
      }, 'the input box did not accept');
      assert.equal(await editing, false);
      assert.equal(readFileSync(file, 'utf8'), '"written while editing"');
      await host.settled();
      assert.equal(await host.controller.getState('/conflicts/typed'), 'written while editing');
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
      await vscode.commands.executeCommand('restate.delete', '/conflicts', true);
      await host.settled();
    }
  });

  test('S130 a write based on a read that another program made stale does not overwrite its value (flushInterval 0)', async () => {
    const exports = await api();
    const host = mainHost(exports);
    const file = join(stateDir(), 'conflicts/cached.json');
    try {
      assert.equal(await host.controller.setState('/conflicts/cached', 'v1'), true);
      await host.settled();
      assert.equal(await host.controller.getState('/conflicts/cached'), 'v1');
      // The watcher reports this only after its coalescing delay: the cache still holds "v1" below.
      otherProcess(`require('node:fs').writeFileSync('conflicts/cached.json', '"theirs"')`);
      await host.controller.setState('/conflicts/cached', 'mine');
      assert.equal(readFileSync(file, 'utf8'), '"theirs"');
      await host.settled();
      await until(async () => (await host.controller.getState('/conflicts/cached')) === 'theirs', 'the value that won was not reported');
    } finally {
      await vscode.commands.executeCommand('restate.delete', '/conflicts', true);
      await host.settled();
    }
  });

  test('Edit Value and Delete without a target act on the node selected in the tree (F2, Delete)', async () => {
    const exports = await api();
    const host = mainHost(exports);
    // A value shown as a leaf, edited into one that expands: the row changes, the selection stays.
    await host.controller.setState('/users/carol', 'Carol');
    await host.settled();
    assert.equal(await vscode.commands.executeCommand('restate.reveal', host.id, '/users/carol'), '/users/carol');
    await until(() => exports.view.selection.some((node) => node.kind === 'state' && node.path === '/users/carol'), 'carol is not selected',
      { details: () => `visible ${exports.view.visible}, selection [${exports.view.selection.map((n) => n.id).join()}]` });
    // The folder's children are read again (the view does so whenever it asks): the nodes keep their identity.
    await children(exports, await nodeAt(exports, host, '/users'));
    // A sibling appears, so the view reads the folder again; F2 is pressed just then, while VS Code has let go
    // of the folder's old children and not yet got the new ones: the selection still counts.
    const tree = exports.tree as { getChildren: StateTreeProvider['getChildren'] };
    const readChildren = exports.tree.getChildren.bind(exports.tree);
    let edited: Promise<boolean> | undefined;
    tree.getChildren = (node) => {
      if (edited === undefined && node?.kind === 'state' && node.path === '/users') {
        edited = Promise.resolve(vscode.commands.executeCommand<boolean>('restate.editValue', undefined, '{"name": "Carol", "age": 5}'));
      }
      return readChildren(node);
    };
    try {
      await host.controller.setState('/users/carolSibling', 1);
      await until(() => edited !== undefined, 'the view did not read the folder again');
      assert.equal(await edited, true, 'Edit Value did not find the selected node');
    } finally {
      delete (tree as { getChildren?: unknown }).getChildren;
    }
    assert.deepEqual(await host.controller.getState('/users/carol'), { name: 'Carol', age: 5 });
    // The edit refreshes the selected node itself: the view shows the new value, and Delete pressed next acts on it.
    await host.settled();
    const selected = (): StateNode | undefined => exports.view.selection.find((node): node is StateNode => node.kind === 'state' && node.path === '/users/carol');
    await until(async () => {
      const node = selected();
      return node !== undefined && (await descriptionOf(exports, node)) === '{2 keys}';
    }, 'the selected node does not show the edited value', { details: async () => `selection: ${exports.view.selection.map((node) => node.id).join() || 'nothing'}` });
    assert.equal(selected(), exports.tree.nodeFor(host, '/users/carol'), 'the view holds another object for the node than the tree refreshes');
    assert.equal(await vscode.commands.executeCommand('restate.delete', undefined, true), true);
    assert.equal(existsSync(join(stateDir(), 'users/carol.json')), false);
    await host.controller.delState('/users/carolSibling');
    await host.settled();
    const keys = (extension().packageJSON as { contributes: { keybindings: { command: string; key: string; when: string }[] } }).contributes.keybindings;
    for (const [command, key] of [['restate.editValue', 'f2'], ['restate.delete', 'delete']]) {
      const binding = keys.find((candidate) => candidate.command === command);
      assert.deepEqual(binding && [binding.key, binding.when], [key, 'focusedView == restate.explorer && !inputFocus'], command);
    }
  });

  test('Find in the title bar opens the search even when VS Code hands it the focused node', async () => {
    const exports = await api();
    const host = mainHost(exports);
    const manifest = extension().packageJSON as {
      contributes: { commands: { command: string; icon?: string }[]; menus: { 'view/title': { command: string; when: string }[] } };
    };
    const icons = new Map(manifest.contributes.commands.map((entry) => [entry.command, entry.icon]));
    const titleFind = manifest.contributes.menus['view/title'].find((entry) => entry.when === 'view == restate.explorer' && icons.get(entry.command) === '$(search)');
    assert.ok(titleFind, 'no Find in the title bar');
    const counter = await nodeAt(exports, host, '/counter');
    // A title-bar command gets the tree's focused node (and the selection) as its arguments.
    let outcome: { result: unknown } | undefined;
    void Promise.resolve(vscode.commands.executeCommand(titleFind.command, counter, [counter])).then((result) => { outcome = { result }; });
    const settled = await until(async () => {
      if (outcome === undefined) await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
      return outcome;
    }, 'the search did not close');
    assert.equal(settled.result, undefined, 'the focused node was revealed instead of the search being opened');
  });

  test('Copy Path, Copy Value, Open File', async () => {
    const exports = await api();
    const host = mainHost(exports);
    assert.equal(await vscode.commands.executeCommand('restate.copyPath', '/users/alice'), '/users/alice');
    assert.equal(await vscode.env.clipboard.readText(), '/users/alice');
    const copied = await vscode.commands.executeCommand<string>('restate.copyValue', '/users/alice');
    assert.deepEqual(JSON.parse(copied), await host.controller.getState('/users/alice'));
    assert.equal(await vscode.env.clipboard.readText(), copied);
    const opened = await vscode.commands.executeCommand<vscode.Uri>('restate.openFile', '/users/alice');
    assert.equal(opened.fsPath, join(stateDir(), 'users/alice.json'));
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, opened.fsPath);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('Find reveals a node; Refresh and Collapse All run', async () => {
    const exports = await api();
    await vscode.commands.executeCommand('restate.explorer.focus');
    assert.equal(await vscode.commands.executeCommand('restate.find', '/settings/proxy'), '/settings/proxy');
    await until(() => exports.view.selection.some((node) => node.kind === 'state' && node.path === '/settings/proxy'),
      `not selected (visible: ${exports.view.visible}, selection: ${exports.view.selection.map((node) => node.id).join()})`);
    await vscode.commands.executeCommand('restate.collapseAll');
    await vscode.commands.executeCommand('restate.refresh');
    assert.deepEqual((await stateChildren(exports)).map((node) => node.path), ['/app', '/clock', '/counter', '/doubled', '/settings', '/status', '/users']);
  });

  test('a burst of 600 writes by another process refreshes the tree a few times, never whole, and every shown value follows', async function () {
    this.timeout(180_000);
    const exports = await api();
    const host = mainHost(exports);
    const created: StateChange[] = [];
    const subscription = host.onDidChangeState((changes) => created.push(...changes.filter((change) => change.path === '/burst')));
    otherProcess("const fs = require('fs'); fs.mkdirSync('burst'); for (let i = 0; i < 600; i++) fs.writeFileSync('burst/b' + String(i).padStart(4, '0') + '.json', String(i));");
    try {
      // The folder's creation refreshes the whole tree (its parent is the root): it is waited for first.
      await until(() => created.some((change) => change.kind === 'created'), 'the burst folder was not reported', { timeoutMs: 120_000 });
      subscription.dispose();
      await until(() => nodeAt(exports, host, '/burst'), 'the burst folder did not show', { timeoutMs: 120_000 });
      const shown = await stateChildren(exports, (await nodeAt(exports, host, '/burst'))!);
      assert.equal(shown.length, 200);
      await host.settled();
      await new Promise((resolve) => setTimeout(resolve, 300));
      const { events, stop } = recordRefreshes(exports);
      try {
        otherProcess("const fs = require('fs'); for (let i = 0; i < 600; i++) fs.writeFileSync('burst/b' + String(i).padStart(4, '0') + '.json', String(-i));");
        await until(async () => {
          for (const node of shown) if (await descriptionOf(exports, node) !== String(-Number(node.path.slice('/burst/b'.length)))) return false;
          return true;
        }, 'the shown values did not follow the burst', { timeoutMs: 120_000 });
        await host.settled();
        assert.ok(events.every((event) => event !== undefined && event !== null), 'the whole tree was refreshed');
        assert.ok(events.length <= 10, `${events.length} refreshes for one burst`);
      } finally {
        stop();
      }
    } finally {
      subscription.dispose();
      rmSync(join(stateDir(), 'burst'), { recursive: true, force: true });
      await host.settled();
    }
  });

  test('Find lists every path of a folder of 5,100 leaves with its value, and looks only into folders', async function () {
    // Thousands of files written and watched: far more than a test's usual time on a busy machine.
    this.timeout(180_000);
    const exports = await api();
    const host = mainHost(exports);
    otherProcess(`const fs = require('fs');
      fs.mkdirSync('big/deep', { recursive: true });
      fs.mkdirSync('big/empty');
      for (let i = 0; i < 5100; i++) fs.writeFileSync('big/n' + String(i).padStart(4, '0') + '.json', String(i));
      fs.writeFileSync('big/deep.json', '"own"');
      fs.writeFileSync('big/deep/leaf.json', '{ "x": 1 }');`);
    try {
      // The cached listing of the root knows the new folder once the watcher reported it.
      await until(async () => (await collectPaths([host])).some((item) => item.path === '/big'), '/big was not listed', { timeoutMs: 120_000 });
      await host.settled();
      const found = (await collect([host])).filter((item) => item.path.startsWith('/big/'));
      // An empty folder is no node (S84); a node with its own value and children is listed with both.
      assert.equal(found.length, 5102);
      const byPath = new Map(found.map((item) => [item.path, item]));
      assert.equal(byPath.get('/big/n5099')?.value, 5099);
      assert.equal(byPath.get('/big/n5099')?.description, '5099');
      assert.equal(byPath.get('/big/deep')?.value, 'own');
      assert.deepEqual(byPath.get('/big/deep/leaf')?.value, { x: 1 });
      assert.ok(!byPath.has('/big/empty'));
      // Paths come first, breadth first, without values: those are read after.
      const paths = (await collectPaths([host])).filter((item) => item.path.startsWith('/big/'));
      assert.deepEqual(paths.map((item) => item.path), found.map((item) => item.path));
      assert.ok(paths.every((item) => item.value === undefined && item.description === ''));
    } finally {
      rmSync(join(stateDir(), 'big'), { recursive: true, force: true });
      await host.settled();
    }
  });

  test('Reveal (run by the graph) selects a node by state folder id and path, expanding its ancestors', async () => {
    const exports = await api();
    const host = mainHost(exports);
    await vscode.commands.executeCommand('restate.collapseAll');
    assert.equal(await vscode.commands.executeCommand('restate.reveal', host.id, '/users/bob'), '/users/bob');
    await until(() => exports.view.visible && exports.view.selection.some((node) => node.kind === 'state' && node.path === '/users/bob'),
      `not selected (visible: ${exports.view.visible}, selection: ${exports.view.selection.map((node) => node.id).join()})`);
    assert.equal(await vscode.commands.executeCommand('restate.reveal', host.id, '/users/nobody'), undefined);
    assert.equal(await vscode.commands.executeCommand('restate.reveal', 'no such folder', '/users/bob'), undefined);
  });

  test('a node with many children is shown in pages', async () => {
    const exports = await api();
    const host = mainHost(exports);
    const config = vscode.workspace.getConfiguration('restate.explorer');
    await config.update('pageSize', 10, vscode.ConfigurationTarget.Workspace);
    try {
      await host.controller.batch(async () => {
        for (let i = 0; i < 25; i++) await host.controller.setState(`/many/item${String(i).padStart(2, '0')}`, i);
      });
      const many = await nodeAt(exports, host, '/many');
      assert.ok(many);
      let page = await children(exports, many);
      assert.equal(page.length, 11);
      const more = page[10];
      assert.equal(more.kind, 'more');
      await vscode.commands.executeCommand('restate.showMore', more);
      page = await children(exports, many);
      assert.equal(page.filter((node) => node.kind === 'state').length, 20);
      assert.equal(await vscode.commands.executeCommand('restate.find', '/many/item24'), '/many/item24');
    } finally {
      await config.update('pageSize', undefined, vscode.ConfigurationTarget.Workspace);
      await host.controller.delState('/many');
      await host.settled();
    }
  });

  test('a corrupt file shows as an error node and the rest keeps working', async () => {
    const exports = await api();
    const host = mainHost(exports);
    otherProcess("require('fs').writeFileSync('broken.json', '{\"a\": 1,,}')");
    try {
      const broken = await until(() => nodeAt(exports, host, '/broken'), 'broken did not appear');
      const item = await until(async () => {
        const current = await nodeAt(exports, host, '/broken');
        const shown = current && await exports.tree.getTreeItem(current);
        return shown && shown.contextValue === 'restate.state.error' ? shown : undefined;
      }, 'broken is not an error node');
      assert.match(String(item.description), /invalid/);
      assert.equal(item.command?.command, 'restate.openFile');
      assert.ok(broken);
      assert.equal(await descriptionOf(exports, (await nodeAt(exports, host, '/counter'))!), '7');
      otherProcess("require('fs').writeFileSync('broken.json', '{\"a\": 1}')");
      await until(async () => (await descriptionOf(exports, (await nodeAt(exports, host, '/broken'))!)) === '{1 key}', 'the fixed file did not show');
    } finally {
      rmSync(join(stateDir(), 'broken.json'), { force: true });
      await host.settled();
    }
  });

  test('Edit Value repairs a corrupt file and Delete removes another; neither change can be reverted', async () => {
    const exports = await api();
    const host = mainHost(exports);
    // The Changes view lists what this test looks for only when recording and unfiltered.
    await vscode.commands.executeCommand('restate.changes.resume');
    await vscode.commands.executeCommand('restate.changes.clearFilter');
    otherProcess("require('fs').writeFileSync('repaired.json', '{\"a\": 1,,}'); require('fs').writeFileSync('users/corrupt.json', 'not json')");
    const isErrorNode = async (path: string): Promise<boolean> => {
      const node = await nodeAt(exports, host, path);
      return node !== undefined && (await exports.tree.getTreeItem(node)).contextValue === 'restate.state.error';
    };
    try {
      await until(async () => (await isErrorNode('/repaired')) && (await isErrorNode('/users/corrupt')), 'the corrupt files are not error nodes');

      assert.equal(await vscode.commands.executeCommand('restate.editValue', await nodeAt(exports, host, '/repaired'), '{"a": 2}'), true);
      assert.equal(readFileSync(join(stateDir(), 'repaired.json'), 'utf8'), '{"a": 2}');
      assert.deepEqual(await host.controller.getState('/repaired'), { a: 2 });
      await until(async () => (await descriptionOf(exports, (await nodeAt(exports, host, '/repaired'))!)) === '{1 key}', 'the repaired node did not show its value');

      assert.equal(await vscode.commands.executeCommand('restate.delete', await nodeAt(exports, host, '/users/corrupt'), true), true);
      assert.equal(existsSync(join(stateDir(), 'users/corrupt.json')), false);
      await until(async () => (await nodeAt(exports, host, '/users/corrupt')) === undefined, 'the deleted node is still shown');
      assert.equal(Object.keys(await host.controller.getState('/users') as object).includes('corrupt'), false);

      const listed = await vscode.commands.executeCommand<ListedChange[]>('restate.changes.list');
      const repair = listed.find((change) => change.path === '/repaired' && change.cause === 'api');
      const removal = listed.find((change) => change.path === '/users/corrupt' && change.kind === 'delete');
      assert.ok(repair && removal, `not recorded: ${listed.map((change) => `${change.path} ${change.kind}`).join(', ')}`);
      assert.match(repair.before ?? '', /^"<unreadable: /);
      for (const change of [repair, removal]) {
        assert.match(change.revertRefusal ?? '', /could not be read .*corrupt|could not be read .*repaired/);
      }
      await vscode.commands.executeCommand('restate.changes.revert', { kind: 'entry', id: repair.id });
      assert.equal(readFileSync(join(stateDir(), 'repaired.json'), 'utf8'), '{"a": 2}', 'a refused revert writes nothing');
    } finally {
      rmSync(join(stateDir(), 'repaired.json'), { force: true });
      rmSync(join(stateDir(), 'users/corrupt.json'), { force: true });
      await host.settled();
    }
  });

  test('a burst with a corrupt file, a valid file and a new folder: each shows on its own, the corrupt one as an error node', async () => {
    const exports = await api();
    const host = mainHost(exports);
    // The Changes view lists what this test looks for only when recording and unfiltered.
    await vscode.commands.executeCommand('restate.changes.resume');
    await vscode.commands.executeCommand('restate.changes.clearFilter');
    const users = await nodeAt(exports, host, '/users');
    assert.ok(users);
    await children(exports, users);
    await host.settled();
    const changes: StateChange[] = [];
    const subscription = host.onDidChangeState((burst) => changes.push(...burst));
    const { events, stop } = recordRefreshes(exports);
    const seen = (): string => `changes: ${JSON.stringify(changes)}`;
    try {
      const written = Date.now();
      otherProcess(`const fs = require('fs');
        fs.writeFileSync('users/broken.json', '{"a": 1,,}');
        fs.writeFileSync('users/dave.json', '{"name": "Dave"}');
        fs.mkdirSync('.inventory-in-progress');
        fs.writeFileSync('.inventory-in-progress/widget.json', '3');
        fs.renameSync('.inventory-in-progress', 'inventory');`);
      // The tree reads the new folder before the watcher's events are handled, as after Refresh (which drops
      // the cached reads): that read must not hide the folder's creation from the report.
      host.cache.invalidate('/');
      await until(async () => (await nodeAt(exports, host, '/inventory/widget')) !== undefined, 'the new folder does not appear', { details: seen });
      await until(() => changes.some((change) => change.path === '/users/dave' && change.kind === 'created'), 'the valid file was not reported', { details: seen });
      await until(() => changes.some((change) => (change.path === '/inventory' || change.path === '/inventory/widget') && change.kind === 'created'),
        'the new folder was not reported as created', { details: seen });
      const listedCreation = await until(async () => (await vscode.commands.executeCommand<ListedChange[]>('restate.changes.list')).find((change) =>
        change.cause === 'file' && change.kind === 'set' && change.before === undefined
        && (change.path === '/inventory/widget' ? change.after === '3' : change.path === '/inventory' && (JSON.parse(change.after ?? 'null') as { widget?: unknown } | null)?.widget === 3)),
      'the Changes view does not list the creation of /inventory/widget', { details: seen });
      assert.ok(listedCreation);
      await until(() => changes.some((change) => change.path === '/users/broken' && change.kind === 'status'), 'the corrupt file was not reported', { details: seen });
      const reportedAfterMs = Date.now() - written;
      assert.ok(reportedAfterMs < 4000, `the corrupt file was reported ${reportedAfterMs} ms after it was written`);
      assert.ok(refreshedNode(events, '/users'), 'the view was not told that /users changed');
      const shown = await stateChildren(exports, users);
      const broken = shown.find((node) => node.path === '/users/broken');
      assert.ok(broken, 'no node for the corrupt file');
      assert.equal((await exports.tree.getTreeItem(broken)).contextValue, 'restate.state.error');
      assert.equal(await descriptionOf(exports, shown.find((node) => node.path === '/users/dave')!), '{1 key}');
      assert.ok(await nodeAt(exports, host, '/inventory/widget'), 'no node for the new folder');

      // The user learns it without the developer console: the Output channel, and the root of the view.
      assert.match(host.unreadable.get('/users/broken')?.message ?? '', /expected|unexpected/);
      const line = await until(() => outputChannelText().split('\n').find((text) => text.includes('users/broken.json')), 'no line in the Output channel');
      assert.match(line, /\[error\].*cannot be read/);
      assert.match(exports.view.message ?? '', /broken\.json/);
      const marker = exports.decorations.provideFileDecoration(exports.decorations.uriFor(host, '/users'));
      assert.ok(marker?.tooltip?.includes('cannot be read'), `no marker on /users: ${JSON.stringify(marker)}`);

      otherProcess("require('fs').writeFileSync('users/broken.json', '{\"a\": 1}')");
      await until(() => !host.unreadable.has('/users/broken'), 'the fixed file still counts as unreadable');
      await until(() => !exports.view.message, `the view still says: ${exports.view.message}`);
      await until(() => outputChannelText().includes('can be read again'), 'the Output channel does not say that the file is fixed');
      assert.equal(outputChannelText().split('\n').filter((text) => text.includes('users/broken.json') && text.includes('[error]')).length, 1);
    } finally {
      stop();
      subscription.dispose();
      for (const file of ['users/broken.json', 'users/dave.json', 'inventory']) rmSync(join(stateDir(), file), { recursive: true, force: true });
      await host.settled();
    }
  });

  test('a corrupt file written alone shows as an error node without a Refresh', async () => {
    const exports = await api();
    const host = mainHost(exports);
    await stateChildren(exports);
    // Let refreshes left by earlier tests pass, so that only this one is recorded.
    await host.settled();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const { events, stop } = recordRefreshes(exports);
    const changes: StateChange[] = [];
    const subscription = host.onDidChangeState((burst) => changes.push(...burst));
    try {
      otherProcess("require('fs').writeFileSync('lonely.json', '')");
      // The root's children are the top level of the view: a refresh of the whole tree shows a new one. Or
      // the view read the top level again meanwhile, and was then told to refresh the node it got.
      const shown = async (): Promise<boolean> => exports.tree.snapshot().some((node) => node.path === '/lonely')
        && (await exports.tree.getTreeItem(exports.tree.nodeFor(host, '/lonely'))).contextValue === 'restate.state.error'
        && refreshedNode(events, '/lonely');
      await until(async () => events.some((event) => event === undefined) || await shown(), 'the view was not refreshed',
        { details: () => `changes: ${JSON.stringify(changes)}, unreadable: ${JSON.stringify([...host.unreadable])}, refreshes: ${events.length}` });
      const lonely = (await stateChildren(exports)).find((node) => node.path === '/lonely');
      assert.ok(lonely);
      assert.equal((await exports.tree.getTreeItem(lonely)).contextValue, 'restate.state.error');
    } finally {
      stop();
      subscription.dispose();
      rmSync(join(stateDir(), 'lonely.json'), { force: true });
      await host.settled();
    }
  });

  test('a derived node whose derivation fails is marked as failing, until it runs again', async () => {
    const exports = await api();
    const host = mainHost(exports);
    const id = await host.controller.derive('/headcount', '/users', (users) => {
      if ('intruder' in (users as object)) throw new Error('an intruder is not counted');
      return Object.keys(users as object).length;
    });
    try {
      await host.settled();
      await until(() => nodeAt(exports, host, '/headcount'), 'headcount did not appear');
      // What the view shows is the node object it was given, refreshed only when the tree is told to.
      const shown = async (): Promise<string> => descriptionOf(exports, exports.tree.nodeFor(host, '/headcount'));
      await until(async () => /derived/.test(await shown()), 'not shown as derived');
      assert.doesNotMatch(await shown(), /failing/);
      await host.controller.setState('/users/intruder', { name: 'Eve' }).catch(() => undefined);
      await until(async () => /failing/.test(await shown()), `not marked as failing: ${await shown()}`);
      const item = await exports.tree.getTreeItem(exports.tree.nodeFor(host, '/headcount'));
      assert.match((item.tooltip as vscode.MarkdownString).value.replace(/&nbsp;/g, ' '), /an intruder is not counted/);
      await host.controller.delState('/users/intruder');
      await until(async () => !/failing/.test(await shown()), `still marked as failing: ${await shown()}`);
    } finally {
      host.controller.underive(id);
      await host.controller.delState('/users/intruder');
      await host.controller.delState('/headcount');
      await host.settled();
    }
  });

  test('derived nodes show as derived', async () => {
    const exports = await api();
    const host = mainHost(exports);
    const id = await host.controller.derive('/userCount', '/users', (users) => Object.keys(users as object).length);
    try {
      await host.settled();
      const node = await until(() => nodeAt(exports, host, '/userCount'), 'userCount did not appear');
      await until(async () => (await descriptionOf(exports, node)).includes('derived'), 'not shown as derived');
    } finally {
      host.controller.underive(id);
      await host.controller.delState('/userCount');
      await host.settled();
    }
  });

  test('the Python fixture is shown as the original reads it, as a second state folder', async () => {
    const exports = await api();
    const target = join(workspaceFolder().uri.fsPath, 'py-state');
    const source = process.env.RESTATE_PYTHON_FIXTURE ?? '';
    assert.ok(existsSync(source), `the Python fixture is missing: ${source}`);
    cpSync(source, target, { recursive: true });
    const config = vscode.workspace.getConfiguration('restate');
    await config.update('stateFolders', ['.state', 'py-state'], vscode.ConfigurationTarget.Workspace);
    try {
      const host = await until(() => exports.hosts.all.find((candidate) => candidate.label === 'py-state'), 'no py-state host');
      const roots = await children(exports);
      assert.deepEqual(roots.map((node) => node.kind), ['host', 'host']);
      const expected = JSON.parse(readFileSync(join(source, '..', 'expected-reads.json'), 'utf8')) as { path: string; value: unknown }[];
      const hostNode = roots.find((node) => node.kind === 'host' && node.host === host)!;
      // The workspace's derivations (.vscode/restate.jsonc) run on every state folder, so their dests are here too.
      const read = (await readFromTree(exports, hostNode)) as Record<string, unknown>;
      for (const node of host.controller.graph().nodes) if (node.kind === 'derivation' && node.dest.split('/').length === 2) delete read[node.dest.slice(1)];
      assert.deepEqual(read, expected.find((entry) => entry.path === '/')!.value);
      const team = await nodeAt(exports, host, '/team');
      assert.ok(team?.info?.hasValue && team.info.hasChildren, '/team has its own value and children');
    } finally {
      await config.update('stateFolders', undefined, vscode.ConfigurationTarget.Workspace);
      rmSync(target, { recursive: true, force: true });
      await until(() => exports.hosts.all.length === 1, 'py-state was not dropped');
    }
  });

  test('the extension runs in untrusted workspaces', () => {
    const extension = vscode.extensions.getExtension(extensionId)!;
    const capabilities = (extension.packageJSON as { capabilities: { untrustedWorkspaces: { supported: boolean | string } } }).capabilities;
    // 'limited' still runs the extension: only features that execute workspace code are held back.
    assert.notEqual(capabilities.untrustedWorkspaces.supported, false);
  });
});
