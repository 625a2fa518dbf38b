import * as assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import * as vscode from 'vscode';
import type { RestateExtensionApi } from '../../extension/extension';
import type { AppNode, ExplorerNode } from '../../extension/explorer/stateTree';
import type { GraphView, RunView } from '../../extension/protocol';
import { runtimeDirectory } from '../../extension/restate/inspect/local';
import { MAX_MESSAGE_BYTES } from '../../extension/restate/inspect/protocol';
import type { FileStateHost } from '../../extension/sources/stateHost';
import { helloLine, startFakeApp, type FakeApp } from '../inspect/fakeApp';
import { activatedApi, children, extensionId, nodeAt, outputChannelText, stateHostOf, until } from './helpers';

/** A subtree of its own, so the other suites' changes to the shared workspace do not get in the way. */
const base = '/appsSuite';

interface GraphState {
  hostId: string | undefined;
  view: GraphView | undefined;
  selected: string | undefined;
  runs: RunView[];
  lastFlash: string[];
}

const graphState = async (): Promise<GraphState | undefined> => vscode.commands.executeCommand<GraphState | undefined>('restate.graph.state');

/** A real second Node process: restate on the workspace's state folder, with an inspector open. */
class AppProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];

  constructor(stateFolder: string, name: string) {
    const root = vscode.extensions.getExtension(extensionId)?.extensionPath;
    assert.ok(root, 'the extension has no path');
    this.child = spawn(process.execPath, [join(root, 'test', 'inspect', 'inspectedApp.mjs'), stateFolder, name, base], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.lines.push(line));
    createInterface({ input: this.child.stderr! }).on('line', (line) => this.lines.push(`stderr: ${line}`));
  }

  async ready(): Promise<void> {
    await until(() => this.lines.includes('ready'), 'the app did not start its inspector', { timeoutMs: 30_000, details: () => this.lines.join('\n') });
  }

  set(value: number): void {
    this.child.stdin?.write(`${value}\n`);
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** The "Running apps" rows of the tree, found the way a user would: at the top or under the folder's row. */
async function appRows(exports: RestateExtensionApi, host: FileStateHost): Promise<AppNode[]> {
  let level: ExplorerNode[] = await children(exports);
  const hostRow = level.find((node) => node.kind === 'host' && node.host === host);
  if (hostRow) level = await children(exports, hostRow);
  const group = level.find((node) => node.kind === 'apps');
  if (!group) return [];
  return (await children(exports, group)).filter((node): node is AppNode => node.kind === 'app');
}

suite('running apps', () => {
  const started: AppProcess[] = [];
  const fakes: FakeApp[] = [];

  teardown(async () => {
    for (const app of started.splice(0)) app.kill();
    await Promise.all(fakes.splice(0).map((fake) => fake.dispose()));
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    // The suites share the workspace: the next ones expect the fixture's state folder as it was.
    const host = stateHostOf(await activatedApi());
    await host.controller.delState(base);
    await until(async () => (await nodeAt(await activatedApi(), host, base)) === undefined || undefined, `${base} is still shown`);
  });

  test('an app in another process is listed, shows its graph with flashes and runs, is forgotten when killed and followed when restarted', async () => {
    const exports = await activatedApi();
    const host = stateHostOf(exports);
    const app = new AppProcess(host.stateFolder.fsPath, 'suite-app');
    started.push(app);
    await app.ready();

    const row = await until(async () => (await appRows(exports, host)).find((node) => node.app.name === 'suite-app'), 'the explorer did not list the app');
    assert.equal(row.app.pid, app.child.pid);
    const item = await exports.tree.getTreeItem(row);
    assert.equal(item.label, 'suite-app');
    assert.ok(String(item.description).includes(`pid ${app.child.pid}`), String(item.description));
    assert.equal(item.command?.command, 'restate.showAppGraph');

    // The click on the row: the app's graph in the graph panel, as another host.
    await vscode.commands.executeCommand(item.command.command, ...(item.command.arguments ?? []));
    const derivation = `derive:${base}/doubled`;
    const shown = await until(async () => {
      const state = await graphState();
      return state?.hostId === row.app.id && state.view?.nodes.some((node) => node.id === derivation) ? state : undefined;
    }, 'the graph panel did not show the app\'s graph');
    const owned = shown.view?.nodes.filter((node) => node.kind !== 'path') ?? [];
    assert.ok(owned.length >= 2, `a derivation and a tracker: ${owned.map((node) => node.id).join(', ')}`);
    for (const node of owned) assert.equal(node.owner, `suite-app, pid ${app.child.pid}`);
    assert.ok(shown.view?.nodes.filter((node) => node.kind === 'path').every((node) => node.owner === undefined));

    await vscode.commands.executeCommand('restate.showGraph', row.app.id, derivation);
    await until(async () => (await graphState())?.selected === derivation || undefined, 'the derivation was not selected');
    app.set(21);
    const run = await until(async () => (await graphState())?.runs.find((r) => r.triggerPath === `${base}/counter`), 'no run of the app in the trace panel', {
      details: async () => JSON.stringify(await graphState()),
    });
    assert.equal(run.subject, derivation);
    assert.equal(run.causeKind, 'api');
    assert.equal(run.error, null);
    assert.deepEqual(run.chain.writes, [`${base}/doubled`]);
    app.set(22);
    await until(async () => (await graphState())?.lastFlash.includes(derivation) || undefined, 'the derivation\'s run did not flash');
    await until(async () => ((await graphState())?.view?.nodes.find((node) => node.id === derivation)?.runCount ?? 0) >= 3 || undefined, 'the run count did not follow');

    app.kill();
    await until(async () => (await appRows(exports, host)).length === 0 || undefined, 'the killed app is still listed');
    assert.equal(exports.apps.appsOf(host.id).length, 0);
    await until(async () => (await graphState())?.hostId === host.id || undefined, 'the graph panel did not go back to the state folder');

    // Started again, it is listed again, and the panel that showed it shows it again.
    const restarted = new AppProcess(host.stateFolder.fsPath, 'suite-app');
    started.push(restarted);
    await restarted.ready();
    const again = await until(async () => (await appRows(exports, host)).find((node) => node.app.pid === restarted.child.pid), 'the restarted app was not listed');
    assert.notEqual(again.app.id, row.app.id);
    await until(async () => {
      const state = await graphState();
      return state?.hostId === again.app.id && state.view?.nodes.some((node) => node.id === derivation) ? state : undefined;
    }, 'the graph panel did not follow the restarted app');
  });

  test('peers that send garbage, a huge message or never read are told in the log, and the explorer goes on', async () => {
    const exports = await activatedApi();
    const host = stateHostOf(exports);
    const folder = host.stateFolder.fsPath;
    const directory = runtimeDirectory();
    fakes.push(
      await startFakeApp(folder, directory, 'garbage-peer', (socket) => socket.write('\u0000\u00ff not a message\n')),
      await startFakeApp(folder, directory, 'huge-peer', (socket) => {
        socket.write(helloLine('huge-peer'));
        socket.write(`{"v":1,"type":"graph","graph":"${'x'.repeat(MAX_MESSAGE_BYTES + 1)}"}\n`);
      }),
      await startFakeApp(folder, directory, 'silent-peer', (socket) => socket.pause()),
    );
    const app = new AppProcess(folder, 'good-app');
    started.push(app);
    await app.ready();

    await until(async () => (await appRows(exports, host)).some((node) => node.app.name === 'good-app'), 'the good app was not listed beside the peers');
    await until(() => {
      const text = outputChannelText();
      return text.includes('garbage-peer (pid') && text.includes('not an inspector message') && text.includes(`huge-peer sent a message over ${MAX_MESSAGE_BYTES} bytes`);
    }, 'the Output channel does not tell of the peers', { details: () => outputChannelText().split('\n').slice(-20).join('\n') });
    const names = (await appRows(exports, host)).map((node) => node.app.name);
    assert.deepEqual(names, ['good-app'], 'a peer that broke the protocol, or never said hello, is not listed');

    // The explorer still answers at once: a write shows in the tree.
    await host.controller.setState(`${base}/alive`, 1);
    const started0 = Date.now();
    const node = await until(() => nodeAt(exports, host, `${base}/alive`), 'the tree did not show the write');
    assert.ok(node);
    assert.ok(Date.now() - started0 < 5_000);
  });
});
