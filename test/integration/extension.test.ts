import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { extensionId } from './helpers';

function extension(): vscode.Extension<unknown> {
  const found = vscode.extensions.getExtension(extensionId);
  assert.ok(found, `extension ${extensionId} is not loaded`);
  return found;
}

suite('extension', () => {
  test('activates by itself in a workspace that contains a state folder', () => {
    assert.ok(vscode.workspace.workspaceFolders?.length, 'the tests need an open workspace folder');
    assert.equal(extension().isActive, true);
  });

  test('activates', async () => {
    await extension().activate();
    assert.equal(extension().isActive, true);
  });

  test('registers every command it contributes', async () => {
    await extension().activate();
    const contributed = (extension().packageJSON as { contributes: { commands: { command: string }[] } })
      .contributes.commands.map((entry) => entry.command);
    assert.ok(contributed.includes('restate.refresh'));
    assert.ok(contributed.includes('restate.createStateFolder'));
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(contributed.filter((id) => !registered.has(id)), []);
  });

  test('the State Explorer view can be focused', async () => {
    await vscode.commands.executeCommand('restate.explorer.focus');
  });

  test('Refresh runs without error', async () => {
    await vscode.commands.executeCommand('restate.refresh');
  });
});
