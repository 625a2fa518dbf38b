import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { ListedChange } from '../../extension/changes/commands';
import type { FileStateHost } from '../../extension/sources/stateHost';
import { mainHost, until } from './helpers';

/** A subtree of its own, so the other suites' changes to the shared workspace do not get in the way. */
const base = '/changesView';

/** Waits for `check`; on time-out the failure lists what the Changes view recorded. */
function untilRecorded<T>(check: () => Promise<T | undefined> | T | undefined, message: string): Promise<T> {
  return until(check, message, {
    details: async () =>
      'recorded:\n' + (await listed()).map((change) => `${change.path} ${change.kind} ${change.cause} ${change.before ?? '-'} → ${change.after ?? '-'}`).join('\n'),
  });
}

async function listed(): Promise<ListedChange[]> {
  return (await vscode.commands.executeCommand<ListedChange[]>('restate.changes.list')) ?? [];
}

/** Writes a file from another Node process, as another app sharing the state folder would. */
function writeFromOtherProcess(file: string, text: string): void {
  const script = 'require("node:fs").writeFileSync(process.argv[1], process.argv[2])';
  const result = spawnSync(process.execPath, ['-e', script, file, text], { encoding: 'utf8', env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } });
  assert.equal(result.status, 0, `the other process failed: ${result.stderr}`);
}

/** Waits until the watcher has reported the extension's own writes, so they do not mix with the next step. */
async function quiet(host: FileStateHost): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 500));
  await host.settled();
}

suite('Changes view', () => {
  let host: FileStateHost;

  suiteSetup(async () => {
    host = await mainHost();
    await vscode.commands.executeCommand('restate.changes.focus');
  });

  setup(async () => {
    await vscode.commands.executeCommand('restate.changes.resume');
    await vscode.commands.executeCommand('restate.changes.clearFilter');
    await vscode.commands.executeCommand('restate.changes.unmute', 'all');
    await vscode.commands.executeCommand('restate.changes.clear');
  });

  suiteTeardown(async () => {
    await host.controller.delState(base);
    // The watcher's reports of this suite's files must not reach the next suite's listeners.
    await quiet(host);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('an explorer write appears with cause api, newest first, with before and after', async () => {
    await host.controller.setState(`${base}/first`, 1);
    await host.controller.setState(`${base}/second`, 2);
    const changes = await untilRecorded(async () => {
      const found = (await listed()).filter((change) => change.path.startsWith(`${base}/`) && change.cause === 'api');
      return found.length === 2 ? found : undefined;
    }, 'the two writes were not recorded');
    assert.deepEqual(changes.map((change) => [change.path, change.before, change.after]), [[`${base}/second`, undefined, '2'], [`${base}/first`, undefined, '1']]);
  });

  test('repeated changes of a path collapse into one entry with a count; a change in between stays', async () => {
    const path = `${base}/ticker`;
    await host.controller.setState(path, 0);
    await quiet(host);
    await vscode.commands.executeCommand('restate.changes.clear');
    const file = host.fileFor(path).fsPath;
    writeFromOtherProcess(file, '1');
    await untilRecorded(async () => (await listed()).find((change) => change.path === path && change.after === '1'), 'the first external write was not recorded');
    await host.controller.setState(`${base}/mine`, 'kept');
    for (let tick = 2; tick <= 4; tick++) {
      writeFromOtherProcess(file, String(tick));
      await untilRecorded(async () => (await listed()).find((change) => change.path === path && change.after === String(tick)), `the external write of ${tick} was not recorded`);
    }
    // A burst's group collapses once it has been quiet for a moment.
    const changes = await untilRecorded(async () => {
      const found = (await listed()).filter((change) => change.path.startsWith(`${base}/`));
      return found.length === 2 ? found : undefined;
    }, 'the repeated writes did not collapse into one entry');
    assert.deepEqual(changes.map((change) => [change.path, change.before, change.after, change.count]), [
      [path, '0', '4', 4],
      [`${base}/mine`, undefined, '"kept"', 1],
    ]);
  });

  test('a muted path and a muted cause are not recorded, and the view says what is muted', async () => {
    await vscode.commands.executeCommand('restate.changes.mutePath', `${base}/noisy`);
    await host.controller.setState(`${base}/noisy/a`, 1);
    await host.controller.setState(`${base}/audible`, 1);
    await untilRecorded(async () => (await listed()).find((change) => change.path === `${base}/audible`), 'the unmuted write was not recorded');
    assert.equal((await listed()).some((change) => change.path.startsWith(`${base}/noisy`)), false);
    const state = await vscode.commands.executeCommand<{ message: string | undefined }>('restate.changes.viewState');
    assert.match(state?.message ?? '', /Not recording: .*\/changesView\/noisy/);

    const audible = (await listed()).find((change) => change.path === `${base}/audible`);
    assert.ok(audible !== undefined);
    await vscode.commands.executeCommand('restate.changes.muteCause', { kind: 'entry', id: audible.id });
    await host.controller.setState(`${base}/byApi`, 1);
    await host.controller.delState(`${base}/noisy`);
    await vscode.commands.executeCommand('restate.changes.unmute', 'all');
    await host.controller.setState(`${base}/afterUnmute`, 1);
    await untilRecorded(async () => (await listed()).find((change) => change.path === `${base}/afterUnmute`), 'recording did not resume after unmuting');
    assert.equal((await listed()).some((change) => change.path === `${base}/byApi`), false, 'a change by a muted cause was recorded');
  });

  test('a filter that matches nothing says so', async () => {
    await host.controller.setState(`${base}/somewhere`, 1);
    await untilRecorded(async () => (await listed()).find((change) => change.path === `${base}/somewhere`), 'the write was not recorded');
    await vscode.commands.executeCommand('restate.changes.filter', '/no/such/path');
    assert.deepEqual(await listed(), []);
    const state = await vscode.commands.executeCommand<{ message: string | undefined }>('restate.changes.viewState');
    assert.match(state?.message ?? '', /No changes at or below \/no\/such\/path/);
  });

  test('restate.changes.maxAgeMinutes drops changes older than that', async () => {
    const configuration = vscode.workspace.getConfiguration('restate.changes');
    await host.controller.setState(`${base}/aged`, 1);
    await untilRecorded(async () => (await listed()).find((change) => change.path === `${base}/aged`), 'the write was not recorded');
    await new Promise((resolve) => setTimeout(resolve, 300));
    try {
      await configuration.update('maxAgeMinutes', 0.002, vscode.ConfigurationTarget.Global);
      await untilRecorded(async () => ((await listed()).some((change) => change.path === `${base}/aged`) ? undefined : true), 'the old change was kept');
    } finally {
      await configuration.update('maxAgeMinutes', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('a write by another process appears with cause file, and reverting it restores the file', async () => {
    const path = `${base}/value`;
    await host.controller.setState(path, { n: 1, label: 'original' });
    const file = host.fileFor(path).fsPath;
    const original = readFileSync(file, 'utf8');
    await quiet(host);

    writeFromOtherProcess(file, JSON.stringify({ n: 2, label: 'changed elsewhere' }));
    const external = await untilRecorded(async () => (await listed()).find((change) => change.path === path && change.cause === 'file'), 'the external write did not appear with cause file');
    assert.deepEqual(JSON.parse(external.before ?? 'null'), { n: 1, label: 'original' });
    assert.deepEqual(JSON.parse(external.after ?? 'null'), { n: 2, label: 'changed elsewhere' });
    assert.ok(external.groupId !== undefined, 'the watcher reports a burst as one batch, shown as a group');

    await vscode.commands.executeCommand('restate.changes.revert', { kind: 'entry', id: external.id });
    assert.equal(readFileSync(file, 'utf8'), original, 'the file holds exactly what it held before');
    const revert = await untilRecorded(async () => (await listed()).find((change) => change.path === path && change.cause === 'api' && change.id !== external.id && change.time >= external.time), 'the revert did not appear as a change of its own');
    assert.deepEqual(JSON.parse(revert.after ?? 'null'), { n: 1, label: 'original' });
    assert.deepEqual(await host.controller.getState(path), { n: 1, label: 'original' });
  });

  test('reverting the creation of a file deletes it', async () => {
    const path = '/users/changesViewCreated';
    const file = host.fileFor(path).fsPath;
    await host.controller.getState('/users');
    await quiet(host);
    writeFromOtherProcess(file, '"new"');
    const created = await untilRecorded(async () => (await listed()).find((change) => change.path === path && change.cause === 'file'), 'the new file did not appear');
    assert.equal(created.before, undefined);
    await vscode.commands.executeCommand('restate.changes.revert', { kind: 'entry', id: created.id });
    assert.equal(existsSync(file), false);
    await untilRecorded(async () => (await listed()).find((change) => change.path === path && change.kind === 'delete' && change.cause === 'api'), 'the revert was not recorded as a delete');
    await quiet(host);
  });

  test('reverting the delete of a node with children brings back its whole subtree', async () => {
    const path = `${base}/family`;
    await host.controller.setState(path, 'own');
    await host.controller.setState(`${path}/first`, 1);
    await host.controller.setState(`${path}/second`, { n: 2 });
    // A child without a value of its own: its read looks like an object value, its file layout does not.
    await host.controller.setState(`${path}/group/member`, 3);
    await quiet(host);
    assert.equal(await vscode.commands.executeCommand('restate.delete', { path, host: host.id }, true), true);
    assert.equal(existsSync(host.folderFor(path).fsPath), false);
    const removal = await untilRecorded(async () => (await listed()).find((change) => change.path === path && change.kind === 'delete' && change.cause === 'api'), 'the delete was not recorded');
    await vscode.commands.executeCommand('restate.changes.revert', { kind: 'entry', id: removal.id });
    assert.deepEqual(await host.controller.getState(path), { '/': 'own', first: 1, second: { n: 2 }, group: { member: 3 } });
    assert.equal(await host.controller.getState(`${path}/group/member`), 3, 'the child folder came back as a folder, not as a value');
    assert.equal(await host.controller.getState(`${path}/second/n`), undefined, 'the object value came back as a value, not as children');
    assert.equal(readFileSync(host.fileFor(`${path}/first`).fsPath, 'utf8'), '1');
    await quiet(host);
  });

  test('selecting a change opens a diff of two read-only JSON documents', async () => {
    await host.controller.setState(`${base}/diffed`, { a: 1 });
    await quiet(host);
    // A second change by another cause: repeats of one cause would collapse into one entry without a before.
    writeFromOtherProcess(host.fileFor(`${base}/diffed`).fsPath, JSON.stringify({ a: 2 }));
    const change = await untilRecorded(async () => (await listed()).find((entry) => entry.path === `${base}/diffed` && entry.before !== undefined), 'the change was not recorded');
    await vscode.commands.executeCommand('restate.changes.showDiff', { kind: 'entry', id: change.id });
    const input = await untilRecorded(() => {
      const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
      return tab?.input instanceof vscode.TabInputTextDiff ? tab.input : undefined;
    }, 'no diff editor opened');
    assert.equal(input.original.scheme, 'restate-change');
    const before = await vscode.workspace.openTextDocument(input.original);
    const after = await vscode.workspace.openTextDocument(input.modified);
    assert.equal(before.getText(), '{\n  "a": 1\n}\n');
    assert.equal(after.getText(), '{\n  "a": 2\n}\n');
  });

  test('while paused nothing is recorded; the filter keeps only changes at or below a path', async () => {
    await vscode.commands.executeCommand('restate.changes.pause');
    await host.controller.setState(`${base}/paused`, 1);
    assert.deepEqual((await listed()).filter((change) => change.path.startsWith(base)), []);
    await vscode.commands.executeCommand('restate.changes.resume');

    await host.controller.setState(`${base}/kept/x`, 1);
    await host.controller.setState(`${base}/keptOther`, 1);
    await vscode.commands.executeCommand('restate.changes.filter', `${base}/kept`);
    const shown = await untilRecorded(async () => {
      const all = await listed();
      return all.some((change) => change.path === `${base}/kept/x`) ? all : undefined;
    }, 'the write under the filter is not shown');
    // The watcher may also report the folder /kept that appeared on disk; anything at or below the prefix may show.
    assert.deepEqual(shown.filter((change) => change.path !== `${base}/kept` && !change.path.startsWith(`${base}/kept/`)), []);
  });
});
