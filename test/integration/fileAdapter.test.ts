// The extension's file adapter for state folders on this machine (vscodeFileAdapter('file')), under
// FileSystemAsyncBackend in the extension host: its synchronous reads and writes of single value files keep the
// layout, the symlink rules and the errors of the default adapter (S82–S91, S96).
import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { FileSystemAsyncBackend, MISSING, RestateBackendError, RestateFormatError, RestatePathError } from '../../extension/restate';
import { vscodeFileAdapter } from '../../extension/workspace/vscodeFileAdapter';

const unix = process.platform !== 'win32';

suite('the file adapter for local state folders', () => {
  let dir: string;
  let base: string;
  let backend: FileSystemAsyncBackend;

  setup(() => {
    dir = mkdtempSync(join(tmpdir(), 'restate-adapter-'));
    base = join(dir, 'state');
    backend = new FileSystemAsyncBackend(vscode.Uri.file(base).toString(), { adapter: vscodeFileAdapter('file'), removeStaleTemporaryFiles: false });
  });

  teardown(() => rmSync(dir, { recursive: true, force: true }));

  test('writes, reads, lists and deletes nodes in the folder layout, leaving no temporary file', async () => {
    await backend.write('/a/b', 1);
    await backend.write('/a', 'own');
    await backend.write('/a/c d', { x: [1, 2] });
    assert.deepEqual(await backend.read('/a'), { '/': 'own', b: 1, 'c d': { x: [1, 2] } });
    assert.equal(await backend.read('/a/b'), 1);
    assert.equal(await backend.read('/missing', MISSING), MISSING);
    assert.deepEqual(await backend.listChildren('/a'), ['b', 'c d']);
    assert.deepEqual(readdirSync(join(base, 'a')).sort(), ['b.json', 'c d.json']);
    await backend.write('/a/b', 2);
    assert.equal(await backend.read('/a/b'), 2);
    await backend.delete('/a/b');
    assert.equal(await backend.read('/a/b', MISSING), MISSING);
    assert.deepEqual(readdirSync(join(base, 'a')), ['c d.json']);
  });

  test('S86 a value file that is not JSON fails to read with RestateFormatError naming it', async () => {
    mkdirSync(base, { recursive: true });
    writeFileSync(join(base, 'broken.json'), '{"half": ');
    await assert.rejects(backend.read('/broken'), (error: unknown) => error instanceof RestateFormatError && error.path === '/broken');
  });

  test('S91 a folder where the value file must go fails the write with RestateBackendError naming that folder', async () => {
    mkdirSync(join(base, 'p.json', 'q'), { recursive: true });
    await assert.rejects(backend.write('/p', 1), (error: unknown) => error instanceof RestateBackendError && /p\.json is a folder/.test(error.message));
    assert.deepEqual(readdirSync(base), ['p.json'], 'no temporary file is left');
  });

  test('S90 symlinks inside the base are followed; a value file or folder linked out of it is neither read nor written', async function () {
    if (!unix) this.skip();
    await backend.write('/real/v', 5);
    const outside = join(dir, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.json'), '"secret"');
    symlinkSync(join(base, 'real', 'v.json'), join(base, 'alias.json'));
    symlinkSync(join(outside, 'secret.json'), join(base, 'leak.json'));
    symlinkSync(outside, join(base, 'out'));
    assert.equal(await backend.read('/alias'), 5);
    await assert.rejects(backend.read('/leak'), RestatePathError);
    await assert.rejects(backend.read('/out/secret'), RestatePathError);
    await assert.rejects(backend.write('/out/x', 1), RestatePathError);
    assert.deepEqual(readdirSync(outside), ['secret.json'], 'nothing was written outside the base');
  });
});
