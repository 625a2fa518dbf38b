// A controller following a state folder hears of a subtree deleted by someone else with the subtree's old
// read (S127): the folder reports the deleted node's own old value, as the Redis change log does, and the
// controller adds the children it knew.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { ControllerAsync, FileSystemAsyncBackend, type TraceRecord } from '../../../extension/restate/index';

const folders: string[] = [];
after(async () => {
  await Promise.all(folders.map((folder) => rm(folder, { recursive: true, force: true })));
});

it('S127 a parent deleted by another writer is notified with its old read: own value under "/" and its children', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'restate-watch-delete-'));
  folders.push(folder);
  const base = join(folder, '.state');
  const other = new FileSystemAsyncBackend(base);
  await other.write('/a', { x: 1 });
  await other.write('/a/b', 5);
  const watched = new FileSystemAsyncBackend(base);
  const controller = new ControllerAsync(watched);
  const deletes: TraceRecord[] = [];
  controller.onTrace((record) => {
    if (record.kind === 'delete') deletes.push(record);
  });
  controller.subscribe('/', () => undefined);
  await controller.getState('/');
  await watched.watching();
  try {
    await other.delete('/a');
    const deadline = Date.now() + 10_000;
    while (deletes.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await controller.followed();
    assert.equal(deletes.length, 1, 'one delete is reported');
    const [record] = deletes;
    assert.ok(record.kind === 'delete');
    assert.equal(record.path, '/a');
    assert.deepEqual(record.prevValue, { '/': { x: 1 }, b: 5 });
  } finally {
    controller.stopFollowing();
    await watched.close();
    await other.close();
  }
});
