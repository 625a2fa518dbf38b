// The async driver of the filesystem backends' operations: how a pool of concurrent reads fails (S90).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { parallel, readFile, performAsync, type AsyncFiles } from '../../../extension/restate/backends/filesystem/ops';

type Op = Parameters<AsyncFiles['execute']>[0];
const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Files whose reads fail: `slow` after a while, every other path at once. */
function failingFiles(started: string[]): AsyncFiles {
  return {
    async execute(op: Op): Promise<unknown> {
      if (op.op !== 'readFile') throw new Error(`unexpected ${op.op}`);
      started.push(op.path);
      if (op.path === 'slow') await delay(30);
      throw new Error(`cannot read ${op.path}`);
    },
  };
}

it('S90 in a pool of async reads, the earliest task that fails decides the error, however late it fails', async () => {
  const started: string[] = [];
  const pool = parallel([readFile('slow', true, false), readFile('fast', true, false)], 2);
  await assert.rejects(performAsync(pool, failingFiles(started)), /cannot read slow/);
  assert.deepEqual(started, ['slow', 'fast']);
});

it('S90 a pool starts no new task after one has failed, and keeps to its limit', async () => {
  const started: string[] = [];
  const pool = parallel([readFile('fast', true, false), readFile('b', true, false), readFile('c', true, false)], 1);
  await assert.rejects(performAsync(pool, failingFiles(started)), /cannot read fast/);
  await delay(10);
  assert.deepEqual(started, ['fast']);
});
