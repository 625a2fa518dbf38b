import assert from 'node:assert/strict';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { FileSystemAsyncBackend, RestateBackendError, RestatePathError, jsonSerializer, nodeFileAdapter } from '../../../extension/restate/index';
import type { FileAdapter } from '../../../extension/restate/index';
import { nodeReadFileNoFollow } from '../../../extension/restate/backends/filesystem/adapter';
import { FileLayout } from '../../../extension/restate/backends/filesystem/layout';
import { AdapterFiles, performAsync } from '../../../extension/restate/backends/filesystem/ops';
import { freshDir } from './fs-helpers';

/** Like the extension's vscode.workspace.fs adapter: paths are file URIs, names are percent-encoded. */
function uriAdapter(inner: FileAdapter = nodeFileAdapter): FileAdapter {
  const path = (uri: string): string => fileURLToPath(uri);
  return {
    join: (dir, name) => `${dir}/${encodeURIComponent(name)}`,
    dirname: (uri) => uri.slice(0, uri.lastIndexOf('/')),
    basename: (uri) => decodeURIComponent(uri.slice(uri.lastIndexOf('/') + 1)),
    readFile: (uri) => inner.readFile(path(uri)),
    writeFile: (uri, data, opts) => inner.writeFile(path(uri), data, opts),
    readDirectory: (uri) => inner.readDirectory(path(uri)),
    stat: (uri) => inner.stat(path(uri)),
    delete: (uri, opts) => inner.delete(path(uri), opts),
    rename: (from, to, opts) => inner.rename(path(from), path(to), opts),
    mkdir: (uri) => inner.mkdir(path(uri)),
    realpath: async (uri) => pathToFileURL(await inner.realpath!(path(uri))).href,
  };
}

describe('FileSystemAsyncBackend over other adapters', () => {
  it('S96 works with a URI-based adapter: paths are composed only through join, dirname and basename', async () => {
    const dir = freshDir();
    const base = pathToFileURL(join(dir, 'state')).href;
    const backend = new FileSystemAsyncBackend(base, { adapter: uriAdapter() });
    await backend.write('/with space/ünï', 1);
    await backend.write('/', 'root');
    await backend.write('/a%2F', 2);
    assert.ok(existsSync(join(dir, 'state', 'with space', 'ünï.json')));
    assert.ok(existsSync(join(dir, 'state.json')));
    assert.deepEqual(await backend.read('/'), { '/': 'root', 'a%2F': 2, 'with space': { 'ünï': 1 } });
    await backend.delete('/with space/ünï');
    assert.deepEqual(await backend.listChildren('/'), ['a%2F']);
  });

  it('S90 without realpath, the backend refuses to cross any symlink', { skip: process.platform === 'win32' }, async () => {
    const dir = freshDir();
    const { realpath: _unused, ...withoutRealpath } = nodeFileAdapter;
    const backend = new FileSystemAsyncBackend(join(dir, 'state'), { adapter: withoutRealpath });
    await backend.write('/real/a', 1);
    symlinkSync(join(dir, 'state', 'real'), join(dir, 'state', 'alias'));
    await assert.rejects(backend.read('/alias/a'), RestatePathError);
    assert.deepEqual(await backend.listChildren('/'), ['real']);
    assert.equal(await backend.read('/real/a'), 1);
  });

  it('S90 an adapter with readFileNoFollow reads a value file in one call, follows a symlinked value file inside the base and refuses one leading out', { skip: nodeReadFileNoFollow === undefined }, async () => {
    const dir = freshDir();
    const base = join(dir, 'state');
    const calls: string[] = [];
    const { holdFolder: _unused, ...plain } = nodeFileAdapter;
    const adapter: FileAdapter = {
      ...plain,
      readFile: (path) => (calls.push(`readFile ${basename(path)}`), plain.readFile(path)),
      stat: (path) => (calls.push(`stat ${basename(path)}`), plain.stat(path)),
      readFileNoFollow: (path) => (calls.push(`readFileNoFollow ${basename(path)}`), nodeReadFileNoFollow!(path)),
    };
    const backend = new FileSystemAsyncBackend(base, { adapter, removeStaleTemporaryFiles: false });
    await backend.write('/a', 1);
    calls.length = 0;
    assert.equal(await backend.read('/a'), 1);
    assert.deepEqual(calls.sort(), ['readFileNoFollow a.json', 'stat a']);
    symlinkSync(join(base, 'a.json'), join(base, 'alias.json'));
    writeFileSync(join(dir, 'outside.json'), '2');
    symlinkSync(join(dir, 'outside.json'), join(base, 'out.json'));
    assert.equal(await backend.read('/alias'), 1);
    await assert.rejects(backend.read('/out'), RestatePathError);
  });

  it('S86 an adapter failure is a RestateBackendError with path, file and cause', async () => {
    const dir = freshDir();
    const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    const adapter: FileAdapter = { ...nodeFileAdapter, readFile: () => Promise.reject(denied) };
    const backend = new FileSystemAsyncBackend(join(dir, 'state'), { adapter });
    await backend.write('/a', 1);
    await assert.rejects(backend.read('/a'), (error: unknown) => {
      assert.ok(error instanceof RestateBackendError);
      assert.equal(error.path, '/a');
      assert.equal(error.file, join(dir, 'state', 'a.json'));
      assert.equal(error.cause, denied);
      return true;
    });
  });

  it('S87 a failed rename removes the temporary file and keeps the old value', async () => {
    const dir = freshDir();
    let fail = false;
    const adapter: FileAdapter = {
      ...nodeFileAdapter,
      rename: (from, to, opts) => (fail ? Promise.reject(Object.assign(new Error('EIO'), { code: 'EIO' })) : nodeFileAdapter.rename(from, to, opts)),
    };
    const backend = new FileSystemAsyncBackend(join(dir, 'state'), { adapter });
    await backend.write('/a', 'old');
    fail = true;
    await assert.rejects(backend.write('/a', 'new'), RestateBackendError);
    fail = false;
    assert.deepEqual(await nodeFileAdapter.readDirectory(join(dir, 'state')), [{ name: 'a.json', kind: 'file' }]);
    assert.equal(await backend.read('/a'), 'old');
  });

  it('S87 renames failing with EBUSY, EPERM or EACCES are retried with backoff (as on Windows)', async () => {
    const dir = freshDir();
    mkdirSync(join(dir, 'state'));
    let failures = 0;
    const adapter: FileAdapter = {
      ...nodeFileAdapter,
      rename: (from, to, opts) => (failures++ < 3 ? Promise.reject(Object.assign(new Error('busy'), { code: ['EBUSY', 'EPERM', 'EACCES'][failures - 1] })) : nodeFileAdapter.rename(from, to, opts)),
    };
    const layout = new FileLayout({ base: join(dir, 'state'), serializer: jsonSerializer, fsync: false, paths: adapter, resolvesLinks: true, retryRenames: true });
    await performAsync(layout.write('/a', layout.encode('/a', 5)), new AdapterFiles(adapter));
    assert.equal(failures, 4);
    assert.equal(await performAsync(layout.read('/a'), new AdapterFiles(adapter)), 5);
  });
});
