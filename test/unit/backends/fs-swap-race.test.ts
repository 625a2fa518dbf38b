import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, rmdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { describe, it } from 'node:test';
import { FileSystemAsyncBackend, FileSystemSyncBackend, RestatePathError, jsonSerializer, nodeFileAdapter } from '../../../extension/restate/index';
import type { FileAdapter } from '../../../extension/restate/index';
import { DESCRIPTOR_FOLDER } from '../../../extension/restate/backends/filesystem/adapter';
import { FileLayout } from '../../../extension/restate/backends/filesystem/layout';
import { AdapterFiles, FileOpError, NodeSyncFiles, performAsync, performSync } from '../../../extension/restate/backends/filesystem/ops';
import type { FileOp } from '../../../extension/restate/backends/filesystem/ops';
import { freshDir } from './fs-helpers';

// Each backend races for this long: about 9 s for the file, whose other tests take well under a second.
const RACE_MS = 4_500;

/**
 * Another process that keeps swapping the folder `<base>/x` for a symlink to `outside` and back, with
 * renames only, so that `x` is in turn a folder, missing, a symlink and missing again. A write that makes
 * `x` anew while it is missing would stop the swaps (the parked folder cannot be renamed over a folder that
 * is not empty): that folder is moved aside, inside the base. Renaming the parked folder over an `x` made
 * anew and still empty removes that one, which the backend may hold open at that moment.
 */
const SWAPPER = `
const { lstatSync, renameSync } = require('node:fs');
const [base, ms] = process.argv.slice(1);
const x = base + '/x', parked = base + '/parked', link = base + '/link';
const end = Date.now() + Number(ms);
process.stdout.write('ready\\n');
let swaps = 0;
let strays = 0;
while (Date.now() < end) {
  for (const [from, to] of [[x, parked], [link, x], [x, link], [parked, x]]) {
    try { renameSync(from, to); swaps++; } catch {}
  }
  try {
    if (lstatSync(parked, { throwIfNoEntry: false }) !== undefined && lstatSync(x, { throwIfNoEntry: false })?.isDirectory()) renameSync(x, base + '/stray' + strays++);
  } catch {}
}
process.stdout.write(swaps + '\\n');
`;

interface Writer {
  /** Writes in turn, and stops early once `end` (a Date.now() time) has passed. */
  writeBurst(writes: readonly [string, unknown][], onResult: (error: unknown) => void, end: number): Promise<void>;
}

function filesBelow(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' });
}

/**
 * Runs `race` while the swapper runs; resolves when both are done, to the number of renames the swapper made.
 * The swapper is killed however this ends (it also stops by itself after RACE_MS).
 */
async function withSwapper(base: string, race: () => Promise<void>): Promise<number> {
  const swapper = spawn(process.execPath, ['-e', SWAPPER, base, String(RACE_MS)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  let running = true;
  let startError: Error | undefined;
  swapper.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => swapper.once('close', () => resolve()));
  void exited.then(() => (running = false));
  swapper.once('error', (error) => (startError = error));
  try {
    const readyBy = Date.now() + 10_000;
    while (!output.includes('\n')) {
      if (startError !== undefined) assert.fail(`the swapper did not start: ${startError.message}`);
      if (!running) assert.fail('the swapper exited before it was ready');
      if (Date.now() > readyBy) assert.fail('the swapper was not ready within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await race();
    await exited;
  } finally {
    if (running) {
      swapper.kill('SIGKILL');
      await exited;
    }
  }
  return Number(output.split('\n')[1]);
}

describe('a folder swapped for a symlink out of the base (S90)', { skip: process.platform === 'win32' }, () => {
  // The sync backend writes in bursts of one synchronous run, as a loop of setState calls does.
  const kinds = [
    {
      name: 'FileSystemSyncBackend',
      make(base: string): Writer {
        const backend = new FileSystemSyncBackend(base);
        return {
          async writeBurst(writes, onResult) {
            for (const [path, value] of writes) {
              try {
                backend.write(path, value);
                onResult(undefined);
              } catch (error) {
                onResult(error);
              }
            }
            await new Promise((resolve) => setImmediate(resolve));
          },
        };
      },
    },
    {
      name: 'FileSystemAsyncBackend',
      make(base: string): Writer {
        const backend = new FileSystemAsyncBackend(base);
        return {
          async writeBurst(writes, onResult, end) {
            for (const [path, value] of writes) {
              // On a loaded machine a write can take long: the race ends on time all the same.
              if (Date.now() >= end) return;
              try {
                await backend.write(path, value);
                onResult(undefined);
              } catch (error) {
                onResult(error);
              }
            }
          },
        };
      },
    },
  ];
  for (const kind of kinds) {
    it(`S90 ${kind.name}: no write lands outside while another process swaps the folder for ${RACE_MS / 1000} s`, { timeout: RACE_MS + 10_000 }, async () => {
      const dir = freshDir();
      const base = join(dir, 'state');
      const outside = join(dir, 'outside');
      mkdirSync(join(base, 'x'), { recursive: true });
      mkdirSync(outside);
      symlinkSync(outside, join(base, 'link'));
      const backend = kind.make(base);
      let written = 0;
      let refused = 0;
      const others = new Map<string, number>();
      const end = Date.now() + RACE_MS - 200;
      const swaps = await withSwapper(base, async () => {
        for (let i = 0; Date.now() < end; i += 20) {
          const burst = Array.from({ length: 20 }, (_, j): [string, number] => [(i + j) % 3 === 0 ? `/x/y${(i + j) % 2}/k` : `/x/k${(i + j) % 5}`, i + j]);
          await backend.writeBurst(burst, (error) => {
            if (error === undefined) written++;
            else if (error instanceof RestatePathError) refused++;
            else others.set(String(error).slice(0, 120), (others.get(String(error).slice(0, 120)) ?? 0) + 1);
          }, end);
        }
      });
      const tally = `${written} writes, ${refused} refused, other failures ${JSON.stringify([...others])}, ${swaps} renames by the swapper`;
      assert.deepEqual(filesBelow(outside), [], tally);
      assert.ok(written > 0 && swaps > 0, `the race did not happen: ${tally}`);
    });
  }
});

/**
 * The swap made at the worst moment, every time: the driver is wrapped so that the folder becomes a
 * symlink out of the base just before the temporary file is written, or just before the rename.
 */
describe('a folder swapped for a symlink at the worst moment of a write or delete (S90)', { skip: process.platform === 'win32' }, () => {
  const setUp = () => {
    const dir = freshDir();
    const base = join(dir, 'state');
    const outside = join(dir, 'outside');
    mkdirSync(join(base, 'x'), { recursive: true });
    mkdirSync(outside);
    const swap = (): void => {
      renameSync(join(base, 'x'), join(base, 'parked'));
      symlinkSync(outside, join(base, 'x'));
    };
    const layout = (adapter: FileAdapter) =>
      new FileLayout({ base, serializer: jsonSerializer, fsync: false, paths: adapter, resolvesLinks: true, retryRenames: false });
    return { base, outside, swap, layout };
  };
  /** Runs `op` after swapping the folder once, when the write reaches the operation named `at`. */
  const swappingAt = <T extends { execute(op: FileOp): unknown }>(files: T, at: FileOp['op'], swap: () => void): T['execute'] => {
    let swapped = false;
    return (op) => {
      if (op.op === at && !swapped) {
        swapped = true;
        swap();
      }
      return files.execute(op);
    };
  };

  for (const at of ['writeFile', 'rename'] as const) {
    it(`S90 with the folder held open, a swap before ${at} leaves nothing outside: the value goes into the folder that was checked`, { skip: DESCRIPTOR_FOLDER === undefined }, async () => {
      for (const driver of ['sync', 'async'] as const) {
        const { base, outside, swap, layout } = setUp();
        const files = driver === 'sync' ? new NodeSyncFiles() : new AdapterFiles(nodeFileAdapter);
        const execute = swappingAt(files, at, swap);
        const task = layout(nodeFileAdapter).write('/x/k', '1');
        if (driver === 'sync') performSync(task, { execute: execute as NodeSyncFiles['execute'] });
        else await performAsync(task, { execute: execute as AdapterFiles['execute'] });
        assert.deepEqual(filesBelow(outside), [], driver);
        assert.deepEqual(readdirSync(join(base, 'parked')), ['k.json'], driver);
      }
    });
  }

  it('S90 with the folder held open, a swap during a delete removes nothing outside', { skip: DESCRIPTOR_FOLDER === undefined }, async () => {
    for (const driver of ['sync', 'async'] as const) {
      const { base, outside, swap, layout } = setUp();
      mkdirSync(join(base, 'x', 'sub'));
      writeFileSync(join(base, 'x', 'sub', 'k.json'), '1');
      mkdirSync(join(outside, 'sub'));
      writeFileSync(join(outside, 'sub', 'keep.json'), '1');
      const files = driver === 'sync' ? new NodeSyncFiles() : new AdapterFiles(nodeFileAdapter);
      const execute = swappingAt(files, 'stat', swap);
      const task = layout(nodeFileAdapter).delete('/x/sub');
      if (driver === 'sync') performSync(task, { execute: execute as NodeSyncFiles['execute'] });
      else await performAsync(task, { execute: execute as AdapterFiles['execute'] });
      assert.deepEqual(filesBelow(outside).sort(), ['sub', join('sub', 'keep.json')], driver);
      assert.deepEqual(readdirSync(join(base, 'parked')), [], driver);
    }
  });

  // Node's recursive mkdir never returns when the parent, reached through its descriptor, has been removed: the
  // child fails with ENOENT, the parent exists as a folder, and it starts over. A swap can remove a held folder:
  // a folder renamed over an empty one replaces it.
  it('S90 with the folder held open, a folder removed just before a folder is made in it: the write makes it once more, or fails naming it, and never runs on', { skip: DESCRIPTOR_FOLDER === undefined, timeout: 20_000 }, async () => {
    for (const driver of ['async', 'sync'] as const) {
      for (const removals of [1, Infinity]) {
        const { base, outside, layout } = setUp();
        let removed = 0;
        const files = driver === 'sync' ? new NodeSyncFiles() : new AdapterFiles(nodeFileAdapter);
        const execute = (op: FileOp): unknown => {
          if (op.op === 'mkdir' && op.path.startsWith(DESCRIPTOR_FOLDER!) && op.path.endsWith(`${sep}y`) && removed < removals) {
            removed++;
            rmdirSync(join(base, 'x'));
          }
          return files.execute(op as never);
        };
        const task = layout(nodeFileAdapter).write('/x/y/k', '1');
        const outcome = driver === 'sync'
          ? (() => {
              try {
                return performSync(task, { execute: execute as NodeSyncFiles['execute'] });
              } catch (error) {
                return error;
              }
            })()
          : await performAsync(task, { execute: execute as AdapterFiles['execute'] }).catch((error: unknown) => error);
        const label = `${driver}, ${removals} removal(s)`;
        if (removals === 1) {
          assert.equal(outcome, undefined, label);
          assert.deepEqual(readdirSync(join(base, 'x', 'y')), ['k.json'], label);
        } else {
          assert.ok(outcome instanceof FileOpError, `${label}: ${String(outcome)}`);
          assert.equal(outcome.file, join(base, 'x'), label);
          assert.equal(outcome.code, 'ENOENT', label);
          assert.match(outcome.message, /vanished while a folder was made in it/, label);
          assert.equal(removed, 2, label);
        }
        assert.deepEqual(filesBelow(outside), [], label);
      }
    }
  });

  it('S90 where folders cannot be held, a swap before the temporary file is written is caught just before the rename', async () => {
    const { outside, swap, layout } = setUp();
    const { holdFolder: _unused, ...adapter } = nodeFileAdapter;
    const files = new AdapterFiles(adapter);
    await assert.rejects(performAsync(layout(adapter).write('/x/k', '1'), { execute: swappingAt(files, 'writeFile', swap) }), RestatePathError);
    assert.deepEqual(filesBelow(outside), []);
  });
});
