import * as assert from 'node:assert/strict';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { DefinitionsManager } from '../../extension/definitions/definitions';
import type { StateHost, StateHosts } from '../../extension/sources/stateHost';
import { buildGraphView } from '../../extension/graph/graphModel';
import type { GraphView, RunView } from '../../extension/protocol';
import { mainHost, until } from './helpers';
import { ControllerAsync, InMemoryBackend } from '../../extension/restate';

/** A subtree of its own, so the other suites' changes to the shared workspace do not get in the way. */
const base = '/graphSuite';

function folder(): vscode.WorkspaceFolder {
  const found = vscode.workspace.workspaceFolders?.[0];
  assert.ok(found, 'the tests need a workspace folder');
  return found;
}

const definitionsUri = (): vscode.Uri => vscode.Uri.joinPath(folder().uri, '.vscode', 'restate.jsonc');

async function writeDefinitions(text: string): Promise<void> {
  await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(folder().uri, '.vscode'));
  await vscode.workspace.fs.writeFile(definitionsUri(), new TextEncoder().encode(text));
}

const DEFINITIONS = `{
  // Derived state of the graph suite.
  "derivations": [
    { "dest": "${base}/sum", "sources": ["${base}/a", "${base}/b"], "transform": "sources[0] + sources[1]" },
    { "dest": "${base}/twice", "sources": ["${base}/sum"], "transform": "sources[0] * 2" }
  ],
  "trackers": [
    { "name": "view", "expression": "get('${base}/flag') ? get('${base}/new') : get('${base}/old')", "dest": "${base}/view" }
  ]
}
`;

interface GraphState {
  hostId: string | undefined;
  view: GraphView | undefined;
  lastLayout: { nodes: number; edges: number; ms: number } | undefined;
  selected: string | undefined;
  runs: RunView[];
}

const graphState = async (): Promise<GraphState | undefined> => vscode.commands.executeCommand<GraphState | undefined>('restate.graph.state');

function readsOf(view: GraphView | undefined, tracker: string): string[] {
  return (view?.edges ?? []).filter((e) => e.kind === 'read' && e.to === tracker).map((e) => e.from).sort();
}

suite('definitions and graph', () => {
  suiteTeardown(async () => {
    await vscode.workspace.fs.delete(definitionsUri()).then(undefined, () => undefined);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('the file\'s definitions produce derived state, and the graph shows them', async () => {
    const host = await mainHost();
    await host.controller.setState(`${base}/a`, 2);
    await host.controller.setState(`${base}/b`, 3);
    await host.controller.setState(`${base}/flag`, false);
    await host.controller.setState(`${base}/old`, 'old');
    await host.controller.setState(`${base}/new`, 'new');
    await writeDefinitions(DEFINITIONS);
    await until(async () => (await host.controller.getState(`${base}/sum`)) === 5 || undefined, 'the derivation did not run');
    await until(async () => (await host.controller.getState(`${base}/view`)) === 'old' || undefined, 'the tracker did not run');
    await host.controller.setState(`${base}/a`, 10);
    await until(async () => (await host.controller.getState(`${base}/sum`)) === 13 || undefined, 'the derivation did not follow its source');

    await vscode.commands.executeCommand('restate.showGraph', host.id);
    const state = await until(async () => {
      const s = await graphState();
      return s?.lastLayout && s.view?.nodes.some((n) => n.id === 'tracker:view') ? s : undefined;
    }, 'the graph webview did not lay out the graph');
    const ids = state.view?.nodes.map((n) => n.id) ?? [];
    for (const id of [`${base}/a`, `${base}/b`, `${base}/sum`, `derive:${base}/sum`, 'tracker:view', `${base}/view`]) assert.ok(ids.includes(id), `${id} missing in ${ids.join(', ')}`);
    assert.deepEqual(readsOf(state.view, 'tracker:view'), [`${base}/flag`, `${base}/old`]);
    const derivation = state.view?.nodes.find((n) => n.id === `derive:${base}/sum`);
    assert.ok(derivation && derivation.runCount >= 2 && derivation.lastError === null);
  });

  test('flipping a flag changes the tracked edges in the open graph', async () => {
    const host = await mainHost();
    await host.controller.setState(`${base}/flag`, true);
    await until(async () => (await host.controller.getState(`${base}/view`)) === 'new' || undefined, 'the tracker did not rerun');
    await until(async () => {
      const reads = readsOf((await graphState())?.view, 'tracker:view');
      return reads.join() === [`${base}/flag`, `${base}/new`].join() || undefined;
    }, 'the graph did not get the new read edges');
  });

  test('Derive… and Remove Derivation edit the file and keep its comments', async () => {
    const host = await mainHost();
    assert.equal(await vscode.commands.executeCommand('restate.derive', { dest: `${base}/double`, sources: [`${base}/a`], transform: 'sources[0] * 2' }), true);
    await until(async () => (await host.controller.getState(`${base}/double`)) === 20 || undefined, 'the new derivation did not run');
    let text = new TextDecoder().decode(await vscode.workspace.fs.readFile(definitionsUri()));
    assert.ok(text.includes('// Derived state of the graph suite.'));
    assert.equal(await vscode.commands.executeCommand('restate.removeDerivation', `${base}/double`), true);
    text = new TextDecoder().decode(await vscode.workspace.fs.readFile(definitionsUri()));
    assert.ok(!text.includes(`${base}/double`) && text.includes('// Derived state of the graph suite.'));
    await until(() => host.controller.graph().nodes.some((n) => n.id === `derive:${base}/double`) ? undefined : true, 'the derivation was not removed');
  });

  test('a broken entry gets a diagnostic at its line, an endless one an error, and the rest keeps working', async () => {
    const host = await mainHost();
    await writeDefinitions(DEFINITIONS.replace('"derivations": [', `"derivations": [\n    { "dest": "${base}/broken", "sources": ["${base}/a"], "transform": "sources[0] +" },\n    { "dest": "${base}/stuck", "sources": ["${base}/a"], "transform": "while (true) {}" },`));
    const diagnostics = await until(() => {
      const found = vscode.languages.getDiagnostics(definitionsUri());
      return found.some((d) => d.message.includes('syntax error')) && found.some((d) => d.message.includes('timed out')) ? found : undefined;
    }, 'no diagnostics for the broken entries', { timeoutMs: 20_000 });
    const syntax = diagnostics.find((d) => d.message.includes('syntax error'));
    assert.equal(syntax?.range.start.line, 3);
    const stuck = diagnostics.find((d) => d.message.includes('timed out'));
    assert.equal(stuck?.range.start.line, 4);
    await host.controller.setState(`${base}/b`, 5).catch(() => undefined);
    await until(async () => (await host.controller.getState(`${base}/sum`)) === 15 || undefined, 'the sound derivation stopped working');
    await until(async () => (await graphState())?.view?.nodes.find((n) => n.id === `derive:${base}/stuck`)?.lastError?.includes('timed out') || undefined, 'the graph does not show the error');
    await writeDefinitions(DEFINITIONS);
  });

  test('Trace… opens the graph with the tracker selected, and its runs follow live', async () => {
    const host = await mainHost();
    assert.deepEqual(await vscode.commands.executeCommand('restate.trace', host.id, 'tracker:view'), { hostId: host.id, id: 'tracker:view' });
    // The selection is the one the webview reports back, so this also checks that the webview applied it.
    const traced = await until(async () => {
      const s = await graphState();
      return s?.selected === 'tracker:view' && s.runs.length > 0 ? s : undefined;
    }, 'the graph did not select the tracker and list its runs');
    assert.ok(traced.runs.every((run) => run.subject === 'tracker:view'));
    const newest = Math.max(...traced.runs.map((run) => run.seq));
    await host.controller.setState(`${base}/flag`, false);
    const run = await until(async () => (await graphState())?.runs.find((r) => r.seq > newest), 'the new run was not sent to the graph');
    assert.equal(run.triggerPath, `${base}/flag`);
    assert.equal(run.causeKind, 'api');
    assert.equal(run.error, null);
    assert.deepEqual(run.chain, { origin: 'api', steps: [`${base}/flag`, 'tracker:view'], writes: [`${base}/view`], complete: true });
  });

  test('a run\'s cause chain goes back through the derivation whose write set it off', async () => {
    const host = await mainHost();
    await vscode.commands.executeCommand('restate.showGraph', host.id, `derive:${base}/twice`);
    await until(async () => (await graphState())?.selected === `derive:${base}/twice` || undefined, 'the derivation was not selected');
    // What an earlier test of the suite left in /b, if it ran: this one may run alone.
    const b = await host.controller.getState(`${base}/b`);
    await host.controller.setState(`${base}/a`, 100, { cause: 'file' });
    const run = await until(async () => (await graphState())?.runs.find((r) => r.triggerPath === `${base}/sum` && r.chain.origin === 'file' && r.causeKind === 'derive'),
      'no run of the derivation set off by the derivation whose write the file change set off', { details: async () => JSON.stringify((await graphState())?.runs.filter((r) => r.triggerPath === `${base}/sum`)) });
    // The watcher's events for the explorer's own writes come and go without a run: its write of the sum,
    // read while it was under way, is not taken for a change on disk.
    await host.settled();
    const fromDisk = (await graphState())?.runs.filter((r) => r.triggerPath === `${base}/sum` && r.causeKind !== 'derive');
    assert.deepEqual(fromDisk, [], 'a run of the derivation was set off by its own source written by the explorer, as if on disk');
    assert.equal(run.causeNode, `derive:${base}/sum`);
    assert.deepEqual(run.chain.steps, [`${base}/a`, `derive:${base}/sum`, `${base}/sum`, `derive:${base}/twice`]);
    assert.deepEqual(run.chain.writes, [`${base}/twice`]);
    assert.equal(await host.controller.getState(`${base}/twice`), 2 * (100 + (b as number)));
  });

  test('a definitions file written into a .vscode folder that did not exist is picked up', async () => {
    const vscodeFolder = join(folder().uri.fsPath, '.vscode');
    const away = join(folder().uri.fsPath, '.vscode-away');
    const hadFolder = existsSync(vscodeFolder);
    if (hadFolder) renameSync(vscodeFolder, away);
    // A manager of its own, started in a workspace without .vscode, over an in-memory controller.
    const controller = new ControllerAsync(new InMemoryBackend());
    await controller.setState(`${base}/seed`, 20);
    const changeHosts = new vscode.EventEmitter<void>();
    const host = { id: 'fresh', label: 'memory', workspaceFolder: folder(), controller } as unknown as StateHost;
    const hosts = { all: [host], onDidChangeHosts: changeHosts.event, hostFor: (id: string) => (id === host.id ? host : undefined), whenReady: async () => undefined, dispose: () => undefined } as unknown as StateHosts;
    const grant = new vscode.EventEmitter<void>();
    const manager = new DefinitionsManager(hosts, { isTrusted: true, onDidGrant: grant.event });
    try {
      await manager.settled();
      assert.deepEqual(manager.definitionsOf(folder()).derivations, []);
      // Both at once, as a tool that scaffolds a project would: the file is in the folder before any event.
      mkdirSync(vscodeFolder);
      writeFileSync(join(vscodeFolder, 'restate.jsonc'), `{ "derivations": [{ "dest": "${base}/fresh", "sources": ["${base}/seed"], "transform": "(sources[0] ?? 0) + 1" }] }`);
      await until(async () => (await controller.getState(`${base}/fresh`)) === 21 || undefined, 'the derivation of the new file did not run', { timeoutMs: 5000 });
    } finally {
      manager.dispose();
      grant.dispose();
      changeHosts.dispose();
      rmSync(vscodeFolder, { recursive: true, force: true });
      if (hadFolder) renameSync(away, vscodeFolder);
    }
  });

  // code-server runs with workspace trust disabled, so the gate is tested with a trust flag of our own, on a
  // manager of its own over an in-memory controller, reading the same file.
  test('untrusted, the definitions show but nothing runs; granting trust runs them', async () => {
    const controller = new ControllerAsync(new InMemoryBackend());
    await controller.setState(`${base}/a`, 1);
    await controller.setState(`${base}/b`, 1);
    const changeHosts = new vscode.EventEmitter<void>();
    const host = { id: 'untrusted', label: 'memory', workspaceFolder: folder(), controller } as unknown as StateHost;
    const hosts = { all: [host], onDidChangeHosts: changeHosts.event, hostFor: (id: string) => (id === host.id ? host : undefined), whenReady: async () => undefined, dispose: () => undefined } as unknown as StateHosts;
    const grant = new vscode.EventEmitter<void>();
    const trust = { isTrusted: false, onDidGrant: grant.event };
    const manager = new DefinitionsManager(hosts, trust);
    try {
      await until(() => manager.definitionsOf(folder()).derivations.length > 0 || undefined, 'the file was not loaded');
      await manager.settled();
      assert.deepEqual(controller.graph().nodes, []);
      assert.equal(await controller.getState(`${base}/sum`), undefined);
      const view = buildGraphView(controller.graph(), manager.definitionsOf(folder()), () => undefined);
      assert.ok(view.nodes.filter((n) => n.kind !== 'path').every((n) => n.inactive));
      trust.isTrusted = true;
      grant.fire();
      await until(async () => (await controller.getState(`${base}/sum`)) === 2 || undefined, 'granting trust did not run the definitions');
    } finally {
      manager.dispose();
      grant.dispose();
      changeHosts.dispose();
    }
  });
});
