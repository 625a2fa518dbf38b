import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { ListedChange } from '../../extension/changes/commands';
import { collect } from '../../extension/commands/find';
import type { RestateExtensionApi } from '../../extension/extension';
import type { ExplorerNode, HostNode } from '../../extension/explorer/stateTree';
import { MISSING } from '../../extension/restate';
import { RedisBackend } from '../../extension/restate/redis';
import type { StateHost } from '../../extension/sources/stateHost';
import { startRedisServer, type RedisServer } from '../backends/redisServer';
import { activatedApi, children, extensionId, nodeAt, outputChannelText, until, workspaceFolder } from './helpers';

async function hostNodeOf(exports: RestateExtensionApi, host: StateHost): Promise<HostNode> {
  const node = (await children(exports)).find((candidate): candidate is HostNode => candidate.kind === 'host' && candidate.host === host);
  assert.ok(node, `no row for ${host.label}`);
  return node;
}

/** The own value the tree shows for a path, or MISSING when the tree has no such node or it has no value. */
async function shownValue(exports: RestateExtensionApi, host: StateHost, path: string): Promise<unknown> {
  const node = await nodeAt(exports, host, path);
  if (node === undefined) return MISSING;
  const info = node.info;
  assert.ok(info, `${path} was not read`);
  assert.equal(info.error, undefined, `${path}: ${info.error?.message}`);
  return info.hasValue ? info.value : MISSING;
}

/** A tooltip's text as the user reads it: Markdown escapes its spaces. */
function tooltipText(item: vscode.TreeItem): string {
  const tooltip = item.tooltip;
  return (typeof tooltip === 'string' ? tooltip : tooltip?.value ?? '').replace(/&nbsp;/g, ' ').replace(/\\/g, '');
}

async function rowOf(exports: RestateExtensionApi, node: ExplorerNode): Promise<vscode.TreeItem> {
  return exports.tree.getTreeItem(node);
}

/** The commands the explorer's context menu offers for a row's contextValue, by the package's `when` clauses. */
function menuCommands(contextValue: string): string[] {
  const extension = vscode.extensions.getExtension(extensionId);
  assert.ok(extension);
  const entries = (extension.packageJSON as { contributes: { menus: Record<string, { command: string; when?: string }[]> } })
    .contributes.menus['view/item/context'];
  const commands = new Set<string>();
  for (const { command, when } of entries) {
    if (when === undefined || !when.includes('view == restate.explorer')) continue;
    const match = /viewItem =~ \/(.+)\/$/.exec(when);
    assert.ok(match, `a when clause this test cannot read: ${when}`);
    if (new RegExp(match[1]).test(contextValue)) commands.add(command);
  }
  return [...commands].sort();
}

async function listed(): Promise<ListedChange[]> {
  return (await vscode.commands.executeCommand<ListedChange[]>('restate.changes.list')) ?? [];
}

const editing = ['restate.addChild', 'restate.delete', 'restate.editValue'];

suite('Redis roots', () => {
  let server: RedisServer;
  let exports: RestateExtensionApi;
  /** Another program sharing the trees: its own client, so its writes reach the explorer through the change feed. */
  let other: RedisBackend;
  let otherShared: RedisBackend;
  let otherDerived: RedisBackend;
  let app: StateHost;
  let shared: StateHost;
  let derived: StateHost;

  suiteSetup(async function () {
    this.timeout(60_000);
    server = await startRedisServer();
    exports = await activatedApi();
    // The Changes view records everything, whatever an earlier suite left paused, filtered or muted.
    await vscode.commands.executeCommand('restate.changes.resume');
    await vscode.commands.executeCommand('restate.changes.clearFilter');
    await vscode.commands.executeCommand('restate.changes.unmute', 'all');
    other = new RedisBackend({ url: server.url, prefix: 'app' });
    otherShared = new RedisBackend({ url: server.url, prefix: 'shared' });
    otherDerived = new RedisBackend({ url: server.url, prefix: 'derived' });
    await other.write('/users/alice', { name: 'Alice' });
    await other.write('/users', 'the users');
    await other.write('/count', 3);
    await otherShared.write('/motd', 'hello');
    await vscode.workspace.getConfiguration('restate').update('redisRoots', [
      { url: server.url, prefix: 'app', label: 'App' },
      { url: server.url, prefix: 'shared', label: 'Shared', readOnly: true },
      { url: server.url, prefix: 'derived', label: 'Derived', allowWorkspaceWrites: true },
    ], vscode.ConfigurationTarget.Workspace);
    const find = (label: string): StateHost | undefined => exports.hosts.all.find((host) => host.kind === 'redis' && host.label === label);
    [app, shared, derived] = await until(() => {
      const found = [find('App'), find('Shared'), find('Derived')];
      return found.every((host) => host !== undefined) ? found as StateHost[] : undefined;
    }, 'the Redis roots did not appear', { details: () => exports.hosts.all.map((host) => host.label).join(', ') });
    await vscode.commands.executeCommand('restate.changes.focus');
  });

  suiteTeardown(async function () {
    this.timeout(30_000);
    await vscode.workspace.getConfiguration('restate').update('redisRoots', undefined, vscode.ConfigurationTarget.Workspace);
    await until(() => exports.hosts.all.every((host) => host.kind !== 'redis'), 'the Redis roots did not go away');
    await Promise.all([other?.close(), otherShared?.close(), otherDerived?.close()]);
    await server?.dispose();
  });

  test('each root is a row beside the state folder, connected, and its tree is what another client wrote', async () => {
    const labels = (await children(exports)).map((node) => (node.kind === 'host' ? node.host.label : node.id));
    assert.deepEqual(labels, ['.state', 'App', 'Shared', 'Derived']);
    const row = await until(async () => {
      const item = await rowOf(exports, await hostNodeOf(exports, app));
      return app.kind === 'redis' && item.description === 'Redis' ? item : undefined;
    }, 'the App root does not show as connected');
    assert.equal(row.contextValue, 'restate.redis.host');
    assert.match(tooltipText(row), /app on redis:\/\/127\.0\.0\.1:\d+[\s\S]*connected/);
    assert.equal(await shownValue(exports, app, '/users'), 'the users');
    assert.deepEqual(await shownValue(exports, app, '/users/alice'), { name: 'Alice' });
    assert.equal(await shownValue(exports, app, '/count'), 3);
    assert.equal(await shownValue(exports, shared, '/motd'), 'hello');
    assert.deepEqual((await children(exports, await hostNodeOf(exports, app))).map((node) => node.kind === 'state' ? node.path : node.id), ['/count', '/users']);
  });

  test("another client's writes refresh the changed subtree, are highlighted, and reach the Changes view as remote", async () => {
    await vscode.commands.executeCommand('restate.changes.clear');
    // The view has /users expanded: its new child appears there.
    await nodeAt(exports, app, '/users/alice');
    const events: (ExplorerNode | ExplorerNode[] | undefined | null | void)[] = [];
    const subscription = exports.tree.onDidChangeTreeData((event) => events.push(event));
    try {
      await other.write('/users/bob', { name: 'Bob' });
      await other.write('/count', 4);
      await until(() => events.some((event) => Array.isArray(event) && event.some((node) => node.kind === 'state' && node.path === '/users')),
        'the tree did not refresh /users', { details: () => JSON.stringify(events.map((event) => (Array.isArray(event) ? event.map((node) => node.id) : event))) });
      assert.ok(events.every((event) => event !== undefined && event !== null), 'the whole tree was refreshed for a change of two nodes');
      assert.deepEqual(await shownValue(exports, app, '/users/bob'), { name: 'Bob' });
      await until(async () => (await shownValue(exports, app, '/count')) === 4, 'the tree does not show the new /count');
      const marker = exports.decorations.provideFileDecoration(exports.decorations.uriFor(app, '/users/bob'));
      assert.equal(marker?.badge, '●', 'the new node is not highlighted');
      const changes = await until(async () => {
        const found = (await listed()).filter((change) => change.hostId === app.id);
        return found.length >= 2 ? found : undefined;
      }, 'the Changes view did not record the two writes');
      assert.deepEqual(changes.map((change) => [change.path, change.cause, change.after]), [['/count', 'remote', '4'], ['/users/bob', 'remote', '{"name":"Bob"}']]);

      // Revert in the Changes view writes the value before back to the server.
      await vscode.commands.executeCommand('restate.changes.revert', { kind: 'entry', id: changes[0].id });
      assert.equal(await other.read('/count'), 3);
    } finally {
      subscription.dispose();
    }
  });

  test('Set Value, Edit Value, Add Child and Delete write to the Redis root', async () => {
    const target = (path: string) => ({ path, host: app.id });
    assert.equal(await vscode.commands.executeCommand('restate.setValue', target('/settings/theme'), '"dark"'), true);
    assert.equal(await other.read('/settings/theme'), 'dark');
    assert.equal(await vscode.commands.executeCommand('restate.editValue', target('/count'), '10'), true);
    assert.equal(await other.read('/count'), 10);
    assert.equal(await vscode.commands.executeCommand('restate.addChild', target('/users'), 'carol', '{"name": "Carol"}'), '/users/carol');
    assert.deepEqual(await other.read('/users/carol'), { name: 'Carol' });
    await until(async () => (await nodeAt(exports, app, '/users/carol')) !== undefined, 'the new child is not in the tree');
    assert.equal(await vscode.commands.executeCommand('restate.delete', target('/users/carol'), true), true);
    assert.equal(await other.read('/users/carol'), MISSING);
    await until(async () => (await nodeAt(exports, app, '/users/carol')) === undefined, 'the deleted child is still in the tree');

    // Its rows offer the editing commands but none that needs a file.
    const node = await nodeAt(exports, app, '/count');
    assert.ok(node);
    const row = await rowOf(exports, node);
    assert.equal(row.contextValue, 'restate.redis.state.value');
    assert.equal(row.command, undefined, 'a click must not open a file');
    assert.deepEqual(menuCommands(row.contextValue), ['restate.addChild', 'restate.copyPath', 'restate.copyValue', 'restate.delete', 'restate.editValue', 'restate.ping']);
    assert.ok(menuCommands('restate.state.value').includes('restate.openFile'), 'a state folder still offers Open File');
    assert.equal(await vscode.commands.executeCommand('restate.openFile', node), undefined);
  });

  test('a read-only root offers no editing command and refuses writes', async () => {
    const hostRow = await rowOf(exports, await hostNodeOf(exports, shared));
    assert.equal(hostRow.contextValue, 'restate.redis.readonly.host');
    assert.match(String(hostRow.description), /read-only/);
    assert.deepEqual(menuCommands(hostRow.contextValue ?? ''), ['restate.redis.enterPassword', 'restate.redis.forgetPassword']);
    const node = await nodeAt(exports, shared, '/motd');
    assert.ok(node);
    const row = await rowOf(exports, node);
    assert.equal(row.contextValue, 'restate.redis.readonly.state.value');
    const offered = menuCommands(row.contextValue ?? '');
    assert.deepEqual(offered, ['restate.copyPath', 'restate.copyValue', 'restate.ping']);
    for (const command of editing) assert.ok(!offered.includes(command));

    assert.equal(await vscode.commands.executeCommand('restate.setValue', { path: '/motd', host: shared.id }, '"changed"'), false);
    assert.equal(await vscode.commands.executeCommand('restate.delete', { path: '/motd', host: shared.id }, true), false);
    assert.equal(await vscode.commands.executeCommand('restate.addChild', { path: '/', host: shared.id }, 'x', '1'), undefined);
    await assert.rejects(shared.controller.setState('/motd', 'changed'), /Shared is a read-only Redis root/);
    assert.equal(await otherShared.read('/motd'), 'hello');
    assert.equal(await otherShared.read('/x'), MISSING);

    // Reverting another program's write in the Changes view is not offered, and refused if asked for.
    await otherShared.write('/motd', 'changed elsewhere');
    const remote = await until(async () => (await listed()).find((change) => change.hostId === shared.id && change.path === '/motd' && change.cause === 'remote'),
      'the Changes view did not record the other program\'s write');
    // The view offers Revert only for a change whose refusal is undefined (the same function decides both).
    assert.equal(remote.revertRefusal, 'Shared is read-only');
    await vscode.commands.executeCommand('restate.changes.revert', { kind: 'entry', id: remote.id });
    assert.equal(await otherShared.read('/motd'), 'changed elsewhere');
    await otherShared.write('/motd', 'hello');
  });

  test("the workspace's derivations write only into the root that allows them", async () => {
    const definitions = vscode.Uri.joinPath(workspaceFolder().uri, '.vscode', 'restate.jsonc');
    const before = await vscode.workspace.fs.readFile(definitions).then((bytes) => bytes, () => undefined);
    try {
      await vscode.workspace.fs.writeFile(definitions, new TextEncoder().encode(
        '{ "derivations": [{ "dest": "/doubled", "sources": ["/counter"], "transform": "sources[0] * 2" }] }'));
      await derived.controller.setState('/counter', 21);
      await until(async () => (await otherDerived.read('/doubled')) === 42, 'the derivation did not run over the root that allows it');
      await app.controller.setState('/counter', 21);
      assert.equal(await other.read('/doubled'), MISSING);
      assert.equal(await otherShared.read('/doubled'), MISSING);
      await app.controller.delState('/counter');
      await derived.controller.delState('/counter');
    } finally {
      if (before === undefined) await vscode.workspace.fs.delete(definitions);
      else await vscode.workspace.fs.writeFile(definitions, before);
    }
  });

  test('a lost server shows on the root, commands fail at once, and both recover when it is back', async function () {
    this.timeout(60_000);
    const hostNode = await hostNodeOf(exports, app);
    await server.stop({ crash: true });
    const lost = await until(async () => {
      const item = await rowOf(exports, hostNode);
      return /reconnecting|error/.test(String(item.description)) ? item : undefined;
    }, 'the root does not show the lost server');
    assert.match(tooltipText(lost), /(reconnecting, the server was lost|cannot reach the server): .*Redis at redis:\/\/127\.0\.0\.1:\d+ failed for \/: .+/);

    // Nothing waits for the server: the tree lists nothing, a write fails with a message.
    const started = Date.now();
    assert.deepEqual(await children(exports, hostNode), []);
    assert.equal(await vscode.commands.executeCommand('restate.setValue', { path: '/count', host: app.id }, '11'), false);
    assert.ok(Date.now() - started < 5000, `the tree and a command took ${Date.now() - started} ms without a server`);

    // Find still lists the state folder's paths: the lost server hides only its roots' paths.
    const found = await collect(exports.hosts.all);
    assert.ok(found.some((item) => item.host.kind === 'folder'), 'Find listed nothing while a Redis server was gone');
    assert.ok(found.every((item) => item.host.kind === 'folder'), 'Find listed paths of a root whose server is gone');

    await server.restart();
    // The server kept nothing (no persistence): another program fills it again.
    await other.write('/users/dora', { name: 'Dora' }).catch(async () => {
      await until(async () => other.write('/users/dora', { name: 'Dora' }).then(() => true, () => false), 'the other client cannot write after the restart');
    });
    await until(async () => (await rowOf(exports, hostNode)).description === 'Redis', 'the root does not show the server back');
    await until(async () => {
      const value = await shownValue(exports, app, '/users/dora');
      return value !== MISSING && value;
    }, 'the tree does not show the server\'s data again');
    assert.equal(await vscode.commands.executeCommand('restate.setValue', { path: '/count', host: app.id }, '11'), true);
    assert.equal(await other.read('/count'), 11);
  });
});

suite('Redis root passwords', () => {
  let server: RedisServer;
  let exports: RestateExtensionApi;
  const password = 's3cret-for-tests';

  const locked = (): StateHost | undefined => exports.hosts.all.find((host) => host.kind === 'redis' && host.label === 'Locked');
  const connection = (host: StateHost | undefined): string => {
    const state = (host as { connection?: { state: string; needsPassword?: boolean } } | undefined)?.connection;
    return state === undefined ? 'none' : `${state.state}${state.needsPassword === true ? ' (password)' : ''}`;
  };

  suiteSetup(async function () {
    this.timeout(60_000);
    server = await startRedisServer(['--requirepass', password]);
    exports = await activatedApi();
    const writer = new RedisBackend({ url: `redis://:${password}@127.0.0.1:${server.port}`, prefix: 'locked' });
    await writer.write('/secret', 'found');
    await writer.close();
    await vscode.workspace.getConfiguration('restate').update('redisRoots', [{ url: server.url, prefix: 'locked', label: 'Locked' }], vscode.ConfigurationTarget.Workspace);
  });

  suiteTeardown(async function () {
    this.timeout(30_000);
    await vscode.workspace.getConfiguration('restate').update('redisRoots', undefined, vscode.ConfigurationTarget.Workspace);
    await until(() => exports.hosts.all.every((host) => host.kind !== 'redis'), 'the Redis root did not go away');
    await server?.dispose();
  });

  test('a lone Redis root is a row of its own, which shows its connection', async () => {
    const config = vscode.workspace.getConfiguration('restate');
    await config.update('stateFolders', [], vscode.ConfigurationTarget.Workspace);
    try {
      await until(() => exports.hosts.all.length === 1 && locked() !== undefined, 'the state folder did not go away');
      const top = await children(exports);
      assert.deepEqual(top.map((node) => (node.kind === 'host' ? `host ${node.host.label}` : node.id)), ['host Locked']);
      assert.match(String((await rowOf(exports, top[0])).description), /error|connecting/);
    } finally {
      await config.update('stateFolders', undefined, vscode.ConfigurationTarget.Workspace);
      await until(() => exports.hosts.all.length === 2, 'the state folder did not come back');
    }
  });

  test('a server that wants a password says so on the root; the password entered is kept out of the settings and can be forgotten', async function () {
    this.timeout(60_000);
    const first = await until(() => {
      const host = locked();
      return connection(host) === 'error (password)' ? host : undefined;
    }, 'the root does not say that it needs a password', { details: () => connection(locked()) });
    const row = await rowOf(exports, await hostNodeOf(exports, first));
    assert.match(String(row.description), /error: .*NOAUTH/);

    assert.equal(await vscode.commands.executeCommand('restate.redis.enterPassword', { host: first.id }, password), true);
    const unlocked = await until(() => {
      const host = locked();
      return host !== first && connection(host) === 'connected' ? host : undefined;
    }, 'the root did not connect with the password', { details: () => connection(locked()) });
    assert.equal(await shownValue(exports, unlocked, '/secret'), 'found');
    const shown = await rowOf(exports, await hostNodeOf(exports, unlocked));
    assert.ok(!tooltipText(shown).includes(password), 'the tooltip shows the password');
    const settings = JSON.stringify(vscode.workspace.getConfiguration('restate').inspect('redisRoots'));
    assert.ok(!settings.includes(password), 'the password reached the settings');

    assert.equal(await vscode.commands.executeCommand('restate.redis.forgetPassword', { host: unlocked.id }), true);
    await until(() => {
      const host = locked();
      return host !== unlocked && connection(host) === 'error (password)';
    }, 'the root still connects after its password was forgotten', { details: () => connection(locked()) });
  });

  test('a URL with a password in the settings is refused with a message naming the root, and nothing connects', async () => {
    await vscode.workspace.getConfiguration('restate').update('redisRoots', [
      { url: `redis://:${password}@127.0.0.1:${server.port}`, prefix: 'locked', label: 'Leaky' },
    ], vscode.ConfigurationTarget.Workspace);
    const line = await until(() => outputChannelText().split('\n').find((text) => text.includes('restate.redisRoots[0] ("Leaky")')),
      'the Output channel does not name the refused root');
    assert.match(line, /\[error\].*its url carries a password, and passwords are never read from settings/);
    assert.ok(!outputChannelText().includes(password), 'the Output channel shows the password');
    await until(() => exports.hosts.all.every((host) => host.kind !== 'redis'), 'a root with a password in its URL was opened');
  });
});
