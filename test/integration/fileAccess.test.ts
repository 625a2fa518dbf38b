// The tree's own reads of a state folder on this machine (the first display's listing of a folder's kinds, the
// value files of its first page, the start-up scan's check that a state folder exists) go to node:fs instead of
// through vscode.workspace.fs: they must answer what vscode.workspace.fs answers, symbolic links included.
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { MISSING, RestateFormatError } from '../../extension/restate';
import { fileTypeOf, readDirectoryTypes, readFileBytes } from '../../extension/workspace/fileAccess';
import { readValueFile } from '../../extension/workspace/valueFile';

const unix = process.platform !== 'win32';

suite('the tree\'s first display reads local state folders straight from disk', () => {
  let dir: string;
  const uri = (...segments: string[]): vscode.Uri => vscode.Uri.file(join(dir, ...segments));

  setup(() => {
    dir = mkdtempSync(join(tmpdir(), 'restate-file-access-'));
    mkdirSync(join(dir, 'folder'));
    writeFileSync(join(dir, 'value.json'), '{"a": [1, 2]}');
    writeFileSync(join(dir, 'broken.json'), '{"a": ');
    if (unix) {
      symlinkSync(join(dir, 'folder'), join(dir, 'link-to-folder'));
      symlinkSync(join(dir, 'value.json'), join(dir, 'link-to-file.json'));
      symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'));
    }
  });

  teardown(() => rmSync(dir, { recursive: true, force: true }));

  test('a folder\'s entries and their types are those vscode.workspace.fs lists, links with what they lead to', async () => {
    const sorted = (entries: [string, vscode.FileType][]): [string, vscode.FileType][] => [...entries].sort(([a], [b]) => (a < b ? -1 : 1));
    const ours = sorted(await readDirectoryTypes(uri()));
    assert.deepEqual(ours, sorted(await vscode.workspace.fs.readDirectory(uri())));
    assert.ok(ours.some(([name, type]) => name === 'folder' && type === vscode.FileType.Directory));
    if (unix) assert.ok(ours.some(([name, type]) => name === 'link-to-folder' && type === (vscode.FileType.SymbolicLink | vscode.FileType.Directory)));
  });

  test('a path\'s type follows links as vscode.workspace.fs.stat does, and a missing path throws', async () => {
    for (const name of ['folder', 'value.json', ...(unix ? ['link-to-folder', 'link-to-file.json'] : [])]) {
      assert.equal((await fileTypeOf(uri(name))) & ~vscode.FileType.SymbolicLink, (await vscode.workspace.fs.stat(uri(name))).type & ~vscode.FileType.SymbolicLink, name);
    }
    await assert.rejects(fileTypeOf(uri('missing')));
  });

  test('a value file reads as vscode.workspace.fs reads it; a missing file or a folder has no value, a broken one names its file', async () => {
    assert.deepEqual(await readFileBytes(uri('value.json')), await vscode.workspace.fs.readFile(uri('value.json')));
    assert.deepEqual(await readValueFile(uri('value.json'), '/value'), { a: [1, 2] });
    assert.equal(await readValueFile(uri('missing.json'), '/missing'), MISSING);
    assert.equal(await readValueFile(uri('folder'), '/folder'), MISSING);
    await assert.rejects(readValueFile(uri('broken.json'), '/broken'), (error: unknown) =>
      error instanceof RestateFormatError && error.message.includes('broken.json') && error.message.includes('/broken'));
  });
});
