import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CachingAsyncBackend, FileSystemAsyncBackend } from '../../../extension/restate/index';
import { extensionLocalAdapter, freshDir } from '../backends/fs-helpers';
import { until } from '../until';

// The descriptors are looked for in /proc/self/fd, and a read that refuses links needs O_NOFOLLOW: Linux.
const skip = !existsSync('/proc/self/fd') || process.platform !== 'linux';

/** The files this process holds open below `dir`, as /proc/self/fd names them (a replaced one ends in " (deleted)"). */
function openBelow(dir: string): string[] {
  const found: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue;
    }
    if (target.startsWith(`${dir}/`)) found.push(target);
  }
  return found.sort();
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("the extension's adapter for local folders keeps a value file just read open until the turn ends", { skip }, () => {
  test('a file read and then replaced by a rename in the same turn is still open at the rename, and closed after it', async () => {
    const dir = freshDir();
    const file = join(dir, 'd0.json');
    writeFileSync(file, '1');
    writeFileSync(join(dir, '.d0.json.tmp'), '2');
    const adapter = extensionLocalAdapter();

    assert.equal(new TextDecoder().decode(await adapter.readFileNoFollow!(file)), '1');
    // Open across the awaits of the same turn: a rename over it only unlinks it; the close frees it.
    assert.deepEqual(openBelow(dir), [file]);
    await adapter.rename(join(dir, '.d0.json.tmp'), file, { fsync: false });
    assert.equal(readFileSync(file, 'utf8'), '2');
    await until(() => openBelow(dir).length === 0, 'the replaced file to be closed');
  });

  test('a file read and not replaced is closed once the turn has ended', async () => {
    const dir = freshDir();
    const file = join(dir, 'a.json');
    writeFileSync(file, '"a"');
    const adapter = extensionLocalAdapter();
    await adapter.readFileNoFollow!(file);
    assert.deepEqual(openBelow(dir), [file]);
    await nextTurn();
    await until(() => openBelow(dir).length === 0, 'the read file to be closed');
  });

  test('a burst of reads in one turn keeps the last 16 open, and none after the turn', async () => {
    const dir = freshDir();
    const files = Array.from({ length: 40 }, (_, index) => join(dir, `s${index}.json`));
    files.forEach((file, index) => writeFileSync(file, String(index)));
    const adapter = extensionLocalAdapter();
    const values = await Promise.all(files.map(async (file) => new TextDecoder().decode(await adapter.readFileNoFollow!(file))));
    assert.deepEqual(values, files.map((_, index) => String(index)));
    // The most recent reads are the ones kept (the closes of the others are on their way, on the thread pool).
    assert.deepEqual(openBelow(dir).filter((open) => files.slice(-16).includes(open)), files.slice(-16).sort());
    await nextTurn();
    await until(() => openBelow(dir).length === 0, 'every read file to be closed');
  });

  test('a symlink is refused without following it, and nothing stays open', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'target.json'), '1');
    symlinkSync(join(dir, 'target.json'), join(dir, 'link.json'));
    const adapter = extensionLocalAdapter();
    await assert.rejects(adapter.readFileNoFollow!(join(dir, 'link.json')), (error: NodeJS.ErrnoException) => error.code === 'ELOOP');
    await assert.rejects(adapter.readFileNoFollow!(join(dir, 'missing.json')), (error: NodeJS.ErrnoException) => error.code === 'ENOENT');
    assert.deepEqual(openBelow(dir), []);
  });

  test("a cache's write over a node it read holds the dest open from the conflict check's read-back to the rename", async () => {
    const dir = freshDir();
    const base = join(dir, 'state');
    const adapter = extensionLocalAdapter();
    const openAtRename: boolean[] = [];
    const watched = { ...adapter, rename: async (from: string, to: string, opts: { fsync: boolean }) => {
      openAtRename.push(openBelow(base).includes(to));
      return adapter.rename(from, to, opts);
    } };
    const cache = new CachingAsyncBackend(new FileSystemAsyncBackend(base, { adapter: watched }), { flushInterval: 0 });
    try {
      await cache.write('/out/d0', 1);
      await cache.read('/out/d0');
      await nextTurn();
      await cache.write('/out/d0', 2);
      assert.deepEqual(openAtRename, [false, true]);
      assert.equal(readFileSync(join(base, 'out', 'd0.json'), 'utf8').trim(), '2');
      await until(() => openBelow(base).length === 0, 'the replaced dest to be closed');
    } finally {
      await cache.close();
    }
  });
});
