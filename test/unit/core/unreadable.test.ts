// S131: writes and deletes over a value file that cannot be parsed, on both controllers and over the file
// backends, their wrappers, and a backend that offers no tolerant read.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import {
  CachingAsyncBackend,
  CachingSyncBackend,
  ControllerAsync,
  ControllerSync,
  FileSystemAsyncBackend,
  FileSystemSyncBackend,
  HybridAsyncBackend,
  HybridSyncBackend,
  InMemoryBackend,
  MISSING,
  RestateFormatError,
  UnreadableValue,
} from '../../../extension/restate/index';
import type { AsyncBackend, Backend, StateEvent, TraceRecord } from '../../../extension/restate/index';

type AnyController = ControllerSync | ControllerAsync;

interface Stack {
  readonly name: string;
  /** Whether the backend offers readTolerant, so an ancestor's old value shows the broken node inside it. */
  readonly tolerant: boolean;
  /** Whether the broken file is still on disk when the controller is handed over (a cache keeps no reads). */
  make(base: string): { controller: AnyController; close?: () => unknown };
}

/** The four Backend methods of a backend and nothing else: a custom backend that knows no tolerant read. */
function plainSync(inner: Backend): Backend {
  return {
    read: (path, dflt) => inner.read(path, dflt),
    write: (path, value) => inner.write(path, value),
    delete: (path) => inner.delete(path),
    listChildren: (path) => inner.listChildren!(path),
  };
}

function plainAsync(inner: AsyncBackend): AsyncBackend {
  return {
    read: (path, dflt) => inner.read(path, dflt),
    write: (path, value) => inner.write(path, value),
    delete: (path) => inner.delete(path),
    listChildren: (path) => inner.listChildren!(path),
  };
}

const stacks: readonly Stack[] = [
  { name: 'ControllerSync over FileSystemSyncBackend', tolerant: true, make: (base) => ({ controller: new ControllerSync(new FileSystemSyncBackend(base)) }) },
  { name: 'ControllerAsync over FileSystemAsyncBackend', tolerant: true, make: (base) => ({ controller: new ControllerAsync(new FileSystemAsyncBackend(base)) }) },
  { name: 'ControllerAsync over FileSystemSyncBackend', tolerant: true, make: (base) => ({ controller: new ControllerAsync(new FileSystemSyncBackend(base)) }) },
  {
    name: 'ControllerSync over CachingSyncBackend (flushInterval 0)',
    tolerant: true,
    make: (base) => {
      const cache = new CachingSyncBackend(new FileSystemSyncBackend(base), { flushInterval: 0 });
      return { controller: new ControllerSync(cache), close: () => cache.close() };
    },
  },
  {
    name: 'ControllerAsync over CachingAsyncBackend (flushInterval 3600, writes stay pending)',
    tolerant: true,
    make: (base) => {
      const cache = new CachingAsyncBackend(new FileSystemAsyncBackend(base), { flushInterval: 3600 });
      return { controller: new ControllerAsync(cache), close: () => cache.close() };
    },
  },
  {
    name: 'ControllerSync over HybridSyncBackend (memory root, fs mount at /users)',
    tolerant: true,
    make: (base) => {
      const hybrid = new HybridSyncBackend(new FileSystemSyncBackend(`${base}-root`));
      hybrid.mount('/users', new FileSystemSyncBackend(join(base, 'users')));
      return { controller: new ControllerSync(hybrid) };
    },
  },
  {
    name: 'ControllerAsync over HybridAsyncBackend (memory root, async fs mount at /users)',
    tolerant: true,
    make: (base) => {
      const hybrid = new HybridAsyncBackend(new InMemoryBackend());
      hybrid.mount('/users', new FileSystemAsyncBackend(join(base, 'users')));
      return { controller: new ControllerAsync(hybrid) };
    },
  },
  { name: 'ControllerSync over a backend without readTolerant', tolerant: false, make: (base) => ({ controller: new ControllerSync(plainSync(new FileSystemSyncBackend(base))) }) },
  { name: 'ControllerAsync over a backend without readTolerant', tolerant: false, make: (base) => ({ controller: new ControllerAsync(plainAsync(new FileSystemAsyncBackend(base))) }) },
];

const temporary = mkdtempSync(join(tmpdir(), 'restate-unreadable-'));
let folderCount = 0;
after(() => rmSync(temporary, { recursive: true, force: true }));

function writeRaw(base: string, statePath: string, text: string): string {
  const file = join(base, ...statePath.slice(1).split('/')) + '.json';
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

/** Collects the events of the subscriptions made through it. */
function listen(controller: AnyController, path: string): StateEvent<AnyController>[] {
  const events: StateEvent<AnyController>[] = [];
  controller.subscribe(path, (event: StateEvent<AnyController>) => {
    events.push(event);
  });
  return events;
}

/** Runs the steps as one batch, one after the other, then throws `failure` if given: sync or async to suit the controller. */
async function inBatch(controller: AnyController, steps: readonly (() => unknown)[], failure?: Error): Promise<void> {
  if (controller instanceof ControllerSync) {
    controller.batch(() => {
      for (const step of steps) step();
      if (failure !== undefined) throw failure;
    });
    return;
  }
  await controller.batch(async () => {
    for (const step of steps) await step();
    if (failure !== undefined) throw failure;
  });
}

function assertUnreadable(value: unknown, file: string, what: string): void {
  assert.ok(value instanceof UnreadableValue, `${what}: expected an UnreadableValue, got ${String(value)}`);
  assert.ok(value.error instanceof RestateFormatError, `${what}: error is a RestateFormatError`);
  assert.equal(value.file, file, `${what}: file`);
  assert.equal(value.error.file, file, `${what}: error.file`);
}

for (const stack of stacks) {
  describe(`S131 unreadable values [${stack.name}]`, () => {
    let base: string;
    let brokenFile: string;
    let controller: AnyController;
    let close: (() => unknown) | undefined;

    beforeEach(async () => {
      base = join(temporary, `${++folderCount}`, '.state');
      // Everything under /users lives in the folder a hybrid mounts there too.
      writeRaw(base, '/users/alice', '{"name": "Alice"}');
      brokenFile = writeRaw(base, '/users/bob', '{"name": ');
      writeRaw(base, '/other', '1');
      ({ controller, close } = stack.make(base));
      await controller.setState('/other', 1);
    });

    afterEach(async () => {
      await close?.();
    });

    it('getState of the broken node and of its ancestors throws, naming the broken node', async () => {
      for (const path of ['/users/bob', '/users']) {
        await assert.rejects(async () => controller.getState(path), (error: unknown) => {
          assert.ok(error instanceof RestateFormatError, `${path}: ${String(error)}`);
          assert.equal(error.path, stack.name.includes('Hybrid') ? '/bob' : '/users/bob');
          assert.equal(error.file, brokenFile);
          return true;
        });
      }
    });

    it('setState over the broken node writes, and the old value arrives as an UnreadableValue', async () => {
      const events = listen(controller, '/users/bob');
      assert.equal(await controller.setState('/users/bob', { name: 'Bob' }), true);
      assert.deepEqual(await controller.getState('/users/bob'), { name: 'Bob' });
      assert.equal(events.length, 1);
      assertUnreadable(events[0].prevValue, brokenFile, 'prevValue');
      assert.deepEqual(events[0].newValue, { name: 'Bob' });
      assert.deepEqual(await controller.getState('/users'), { alice: { name: 'Alice' }, bob: { name: 'Bob' } });
    });

    it('delState of the broken node deletes it, notifying an UnreadableValue', async () => {
      const events = listen(controller, '/users/bob');
      assert.equal(await controller.delState('/users/bob'), true);
      assert.equal(await controller.getState('/users/bob'), undefined);
      assert.equal(events.length, 1);
      assertUnreadable(events[0].prevValue, brokenFile, 'prevValue');
      assert.equal(events[0].newValue, undefined);
      assert.deepEqual(await controller.getState('/users'), { alice: { name: 'Alice' } });
    });

    it('delState of an ancestor deletes the subtree; its old value holds the broken node as an UnreadableValue', async () => {
      const atUsers = listen(controller, '/users');
      const atBob = listen(controller, '/users/bob');
      assert.equal(await controller.delState('/users'), true);
      assert.equal(await controller.getState('/users'), undefined);
      assert.equal(atUsers.length, 1);
      const prevValue = atUsers[0].prevValue;
      if (stack.tolerant) {
        assert.ok(prevValue !== null && typeof prevValue === 'object');
        const { alice, bob } = prevValue as Record<string, unknown>;
        assert.deepEqual(alice, { name: 'Alice' });
        assertUnreadable(bob, brokenFile, 'prevValue.bob');
        assert.deepEqual(Object.keys(prevValue), ['alice', 'bob']);
      } else {
        // Without a tolerant read, the controller cannot tell which part failed: the whole old value is unreadable.
        assertUnreadable(prevValue, brokenFile, 'prevValue');
      }
      // S28: the subscribed descendant hears its own deletion, with its own old value.
      assert.equal(atBob.length, 1);
      assertUnreadable(atBob[0].prevValue, brokenFile, 'the descendant\'s prevValue');
    });

    it("setState('/users', {}) over a parent of the broken node writes its own value", async () => {
      const events = listen(controller, '/users');
      assert.equal(await controller.setState('/users', {}), true);
      assert.equal(events.length, 1);
      const prevValue = events[0].prevValue;
      if (stack.tolerant) assertUnreadable((prevValue as Record<string, unknown>).bob, brokenFile, 'prevValue.bob');
      else assertUnreadable(prevValue, brokenFile, 'prevValue');
      // The children stay (S76), the broken one included: reading the parent still fails.
      await assert.rejects(async () => controller.getState('/users'), RestateFormatError);
      assert.equal(await controller.delState('/users/bob'), true);
      assert.deepEqual(await controller.getState('/users'), { '/': {}, alice: { name: 'Alice' } });
    });

    it("delState('/') clears everything", async () => {
      const events = listen(controller, '/');
      assert.equal(await controller.delState('/'), true);
      assert.equal(events.length, 1);
      assert.deepEqual(await controller.getState('/'), {});
      assert.equal(await controller.getState('/users/bob'), undefined);
    });

    it('a traced write and delete record the UnreadableValue as prevValue', async () => {
      const records: TraceRecord[] = [];
      controller.onTrace((record) => records.push(record));
      await controller.setState('/users/bob', 2);
      writeRaw(base, '/users/carol', 'not json');
      assert.equal(await controller.delState('/users/carol'), true);
      const set = records.find((record) => record.kind === 'set' && record.path === '/users/bob');
      const deleted = records.find((record) => record.kind === 'delete' && record.path === '/users/carol');
      assert.ok(set?.kind === 'set' && deleted?.kind === 'delete');
      assertUnreadable(set.prevValue, brokenFile, 'set prevValue');
      assert.ok(deleted.prevValue instanceof UnreadableValue);
    });

    it('a derivation writes its dest over a broken file', async () => {
      const events = listen(controller, '/users/bob');
      await controller.derive('/users/bob', '/other', (value) => ({ count: value }));
      assert.deepEqual(await controller.getState('/users/bob'), { count: 1 });
      assert.equal(events.length, 1);
      assertUnreadable(events[0].prevValue, brokenFile, 'prevValue');
    });

    it('a batch writes over the broken file and notifies the UnreadableValue at its end', async () => {
      const events = listen(controller, '/users/bob');
      await inBatch(controller, [() => controller.setState('/users/bob', 'first'), () => controller.setState('/users/bob', 'second')]);
      assert.equal(await controller.getState('/users/bob'), 'second');
      assert.equal(events.length, 1);
      assertUnreadable(events[0].prevValue, brokenFile, 'prevValue');
      assert.equal(events[0].newValue, 'second');
    });

    it('a failed batch cannot bring the unreadable value back: the node is left without a value, the rest is undone', async () => {
      const failure = new Error('the batch fails');
      const steps = [() => controller.setState('/users/bob', 'replaced'), () => controller.setState('/other', 2), () => controller.delState('/users/alice')];
      await assert.rejects(inBatch(controller, steps, failure), (error: unknown) => error === failure);
      assert.equal(await controller.getState('/users/bob'), undefined);
      assert.equal(await controller.getState('/other'), 1);
      assert.deepEqual(await controller.getState('/users'), { alice: { name: 'Alice' } });
    });

    it('an undone delete leaves the broken node deleted and puts back the rest of the subtree', async () => {
      const failure = new Error('the batch fails');
      await assert.rejects(inBatch(controller, [() => controller.delState('/users')], failure), (error: unknown) => error === failure);
      assert.deepEqual(await controller.getState('/users'), { alice: { name: 'Alice' } });
    });
  });
}

describe('S131 the tolerant read of the file backends', () => {
  for (const [name, make] of [
    ['FileSystemSyncBackend', (base: string) => new FileSystemSyncBackend(base)],
    ['FileSystemAsyncBackend', (base: string) => new FileSystemAsyncBackend(base)],
  ] as const) {
    it(`${name}: a broken file, alone or inside a parent read, comes back as an UnreadableValue; read still throws`, async () => {
      const base = join(temporary, `${++folderCount}`, '.state');
      const backend = make(base);
      await backend.write('/p/good', 1);
      await backend.write('/p/bad', 'soon broken');
      const file = writeRaw(base, '/p/bad', '[1, 2');
      writeRaw(base, '/p/bad/child', '3');
      await assert.rejects(async () => backend.read('/p', MISSING), RestateFormatError);
      const own = await backend.readTolerant('/p/bad/child');
      assert.equal(own, 3);
      const node = (await backend.readTolerant('/p/bad')) as Record<string, unknown>;
      assertUnreadable(node['/'], file, 'own value of /p/bad');
      assert.equal(node.child, 3);
      const parent = (await backend.readTolerant('/p')) as Record<string, unknown>;
      assert.equal(parent.good, 1);
      assertUnreadable((parent.bad as Record<string, unknown>)['/'], file, 'inside the parent read');
      assert.equal(await backend.readTolerant('/nothing'), MISSING);
      assert.ok(existsSync(file), 'a tolerant read changes nothing');
    });
  }
});
