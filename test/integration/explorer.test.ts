import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { RestateExtensionApi } from '../../extension/extension';
import type { StateChange, StateHost } from '../../extension/explorer/stateHost';
import type { ExplorerNode, StateNode } from '../../extension/explorer/stateTree';
import { activatedApi as api, extensionId, stateHostOf as mainHost, until, workspaceFolder } from './helpers';

const stateDir = (): string => join(workspaceFolder().uri.fsPath, '.state');

/** Runs a script in another Node process, as another app writing the state folder would. */
function otherProcess(script: string): void {
  const result = spawnSync(process.execPath, ['-e', script], { cwd: stateDir(), encoding: 'utf8', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
  assert.equal(result.status, 0, `the other process failed: ${result.stderr}`);
}

/** The children of a node (or of the root), as the view would get them. */
async function children(exports: RestateExtensionApi, node?: ExplorerNode): Promise<ExplorerNode[]> {
  return exports.tree.getChildren(node);
}

async function stateChildren(exports: RestateExtensionApi, node?: ExplorerNode): Promise<StateNode[]> {
  return (await children(exports, node)).filter((child): child is StateNode => child.kind === 'state');
}

/** The node of a path, walking down from the root like a user expanding the tree. */
async function nodeAt(exports: RestateExtensionApi, host: StateHost, path: string): Promise<StateNode | undefined> {
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

suite('State Explorer', () => {
  test('activation returns the hosts and the tree', async () => {
    const exports = await api();
    assert.equal(exports.hosts.all.length, 1);
    const host = exports.hosts.all[0];
    assert.equal(host.label, '.state');
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
      assert.deepEqual(await readFromTree(exports, hostNode), expected.find((entry) => entry.path === '/')!.value);
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
