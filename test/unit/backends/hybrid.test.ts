import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  HybridAsyncBackend,
  HybridSyncBackend,
  InMemoryBackend,
  MISSING,
  RestateMountError,
  RestateUsageError,
} from '../../../extension/restate/index';
import type { AsyncBackend, Backend } from '../../../extension/restate/index';
import { promisedBackend } from '../../backends/helpers';

type Hybrid = HybridSyncBackend | HybridAsyncBackend;

interface Kind {
  name: string;
  make(root: Backend): Hybrid;
  /** A mountable backend over `store`: sync for the sync hybrid, async for the async one. */
  wrap(store: Backend): Backend | AsyncBackend;
}

const kinds: Kind[] = [
  { name: 'HybridSyncBackend', make: (root) => new HybridSyncBackend(root), wrap: (store) => store },
  { name: 'HybridAsyncBackend', make: (root) => new HybridAsyncBackend(root), wrap: (store) => promisedBackend(store) },
];

function mount(hybrid: Hybrid, path: string, backend: Backend | AsyncBackend): void {
  if (hybrid instanceof HybridSyncBackend) hybrid.mount(path, backend as Backend);
  else hybrid.mount(path, backend);
}

/** A custom backend without listChildren, so the hybrid must fall back on object reads (S78). */
function withoutListChildren(store: Backend): Backend {
  return {
    read: (...args: [path: string, dflt?: unknown]) => (args.length < 2 ? store.read(args[0]) : store.read(args[0], args[1])),
    write: (path, value) => store.write(path, value),
    delete: (path) => store.delete(path),
  };
}

for (const kind of kinds) {
  describe(`${kind.name}`, () => {
    test('S100 the root backend is mounted at / and mount paths are normalised', async () => {
      const root = new InMemoryBackend();
      const hybrid = kind.make(root);
      const store = new InMemoryBackend();
      mount(hybrid, 'data//cache/', kind.wrap(store));
      assert.deepEqual(
        hybrid.mounts().map((m) => m.path),
        ['/data/cache', '/'],
      );
      assert.equal(hybrid.mounts()[1].backend, root);
      await hybrid.write('/data/cache/x', 1);
      assert.equal(store.read('/x'), 1);
      assert.equal(root.read('/data'), MISSING);
    });

    test('S101 mounts nest, mounts() is longest first, unmount returns the backend or undefined', async () => {
      const hybrid = kind.make(new InMemoryBackend());
      const outer = kind.wrap(new InMemoryBackend());
      const inner = kind.wrap(new InMemoryBackend());
      const other = kind.wrap(new InMemoryBackend());
      mount(hybrid, '/a', outer);
      mount(hybrid, '/a/b/c', inner);
      mount(hybrid, '/zz', other);
      assert.deepEqual(
        hybrid.mounts().map((m) => m.path),
        ['/a/b/c', '/zz', '/a', '/'],
      );
      assert.equal(hybrid.unmount('/a/b/c'), inner);
      assert.equal(hybrid.unmount('/a/b/c'), undefined);
      assert.equal(hybrid.unmount('/never'), undefined);
      assert.deepEqual(
        hybrid.mounts().map((m) => m.path),
        ['/zz', '/a', '/'],
      );
    });

    test('S102 the longest mount at or above a path owns it and sees it re-rooted', async () => {
      const root = new InMemoryBackend();
      const persistent = new InMemoryBackend();
      const nested = new InMemoryBackend();
      const hybrid = kind.make(root);
      mount(hybrid, '/persistent', kind.wrap(persistent));
      mount(hybrid, '/persistent/deep', kind.wrap(nested));
      await hybrid.write('/persistent/a/b', 1);
      await hybrid.write('/persistent', 'own');
      await hybrid.write('/persistent/deep/x', 2);
      await hybrid.write('/persistently', 3);
      assert.equal(persistent.read('/a/b'), 1);
      assert.deepEqual(persistent.read('/'), { '/': 'own', a: { b: 1 } });
      assert.equal(nested.read('/x'), 2);
      assert.equal(root.read('/persistently'), 3, 'a mount owns its subtree, not every path sharing its prefix');
      const resolved = hybrid.resolve('/persistent/a/b');
      assert.equal(resolved.mountPath, '/persistent');
      assert.equal(resolved.relativePath, '/a/b');
      assert.equal(hybrid.resolve('/persistent').relativePath, '/');
      assert.equal(hybrid.resolve('/elsewhere').mountPath, '/');
    });

    test('S103 a parent read shows mounted subtrees in place and keeps the owner\'s other data (Differs: grafting lost it)', async () => {
      const root = new InMemoryBackend();
      root.write('/p/x', 1);
      root.write('/p/deeper/y', 2);
      root.write('/p', 'own');
      const store = new InMemoryBackend();
      store.write('/k', 3);
      const hybrid = kind.make(root);
      mount(hybrid, '/p/deeper/m', kind.wrap(store));
      assert.deepEqual(await hybrid.read('/p'), { '/': 'own', x: 1, deeper: { y: 2, m: { k: 3 } } });
      assert.deepEqual(await hybrid.read('/'), { p: { '/': 'own', x: 1, deeper: { y: 2, m: { k: 3 } } } });
      assert.deepEqual(await hybrid.listChildren('/p/deeper'), ['m', 'y']);
    });

    test('S103 the owner\'s data at and below a mount point is hidden', async () => {
      const root = new InMemoryBackend();
      root.write('/m', 'owner value');
      root.write('/m/old', 'owner child');
      const store = new InMemoryBackend();
      store.write('/new', 1);
      const hybrid = kind.make(root);
      mount(hybrid, '/m', kind.wrap(store));
      assert.deepEqual(await hybrid.read('/'), { m: { new: 1 } });
      assert.deepEqual(await hybrid.read('/m'), { new: 1 });
      assert.equal(await hybrid.read('/m/old', MISSING), MISSING);
      assert.deepEqual(await hybrid.listChildren('/m'), ['new']);
      hybrid.unmount('/m');
      assert.deepEqual(await hybrid.read('/m'), { '/': 'owner value', old: 'owner child' }, 'hidden, not deleted');
    });

    test('S103 a parent of mount points exists even when the owner holds nothing there (Differs: it read as the default)', async () => {
      const store = new InMemoryBackend();
      store.write('/', 'mounted root value');
      const hybrid = kind.make(new InMemoryBackend());
      mount(hybrid, '/a/b/c', kind.wrap(store));
      assert.deepEqual(await hybrid.read('/a'), { b: { c: 'mounted root value' } });
      assert.deepEqual(await hybrid.listChildren('/'), ['a']);
      assert.deepEqual(await hybrid.listChildren('/a'), ['b']);
      assert.deepEqual(await hybrid.listChildren('/a/b'), ['c']);
    });

    test('S103 an empty mounted backend adds no child', async () => {
      const root = new InMemoryBackend();
      root.write('/x', 1);
      const hybrid = kind.make(root);
      mount(hybrid, '/empty', kind.wrap(new InMemoryBackend()));
      mount(hybrid, '/also/empty', kind.wrap(new InMemoryBackend()));
      assert.deepEqual(await hybrid.read('/'), { x: 1 });
      assert.deepEqual(await hybrid.listChildren('/'), ['x']);
      assert.equal(await hybrid.read('/also', MISSING), MISSING);
      const onlyEmpty = kind.make(new InMemoryBackend());
      mount(onlyEmpty, '/e', kind.wrap(new InMemoryBackend()));
      assert.equal(await onlyEmpty.read('/', MISSING), MISSING);
      assert.equal(await onlyEmpty.read('/', 'dflt'), 'dflt');
    });

    test('S103 an owner child hidden only by an empty mount below it disappears, one with a value stays', async () => {
      const root = new InMemoryBackend();
      root.write('/a/m/hidden', 1);
      root.write('/b', 'b value');
      root.write('/b/m/hidden', 2);
      const hybrid = kind.make(root);
      mount(hybrid, '/a/m', kind.wrap(new InMemoryBackend()));
      mount(hybrid, '/b/m', kind.wrap(new InMemoryBackend()));
      assert.deepEqual(await hybrid.listChildren('/'), ['b']);
      assert.deepEqual(await hybrid.read('/'), { b: 'b value' });
    });

    test('S78 a mounted custom backend without listChildren is listed through its reads', async () => {
      const store = new InMemoryBackend();
      store.write('/q/r', 1);
      const hybrid = kind.make(new InMemoryBackend());
      mount(hybrid, '/custom', withoutListChildren(store));
      assert.deepEqual(await hybrid.listChildren('/'), ['custom']);
      assert.deepEqual(await hybrid.listChildren('/custom'), ['q']);
      assert.deepEqual(await hybrid.read('/'), { custom: { q: { r: 1 } } });
    });

    test('S104 writes go to the owner only', async () => {
      const root = new InMemoryBackend();
      const store = new InMemoryBackend();
      const hybrid = kind.make(root);
      mount(hybrid, '/m', kind.wrap(store));
      await hybrid.write('/m/x', 1);
      await hybrid.write('/y', 2);
      assert.equal(root.read('/m/x'), MISSING);
      assert.deepEqual(root.read('/'), { y: 2 });
      assert.deepEqual(store.read('/'), { x: 1 });
    });

    test('S104 delete clears every mount at or below the path, and the mounts stay', async () => {
      const root = new InMemoryBackend();
      root.write('/p/own', 1);
      const first = new InMemoryBackend();
      const second = new InMemoryBackend();
      const outside = new InMemoryBackend();
      first.write('/a', 1);
      second.write('/', 'v');
      outside.write('/keep', 1);
      const hybrid = kind.make(root);
      mount(hybrid, '/p/first', kind.wrap(first));
      mount(hybrid, '/p/first/second', kind.wrap(second));
      mount(hybrid, '/q', kind.wrap(outside));
      await hybrid.delete('/p');
      assert.equal(root.read('/p'), MISSING);
      assert.equal(first.read('/'), MISSING);
      assert.equal(second.read('/'), MISSING);
      assert.deepEqual(outside.read('/'), { keep: 1 });
      assert.equal(hybrid.mounts().length, 4);
      await hybrid.write('/p/first/again', 2);
      assert.equal(first.read('/again'), 2);
      await hybrid.delete('/');
      assert.equal(outside.read('/'), MISSING);
      assert.equal(await hybrid.read('/', MISSING), MISSING);
    });

    test('S105 mounting at / or at a mount point, and unmounting /, throw a RestateMountError (Differs: the second mount replaced the first)', async () => {
      const hybrid = kind.make(new InMemoryBackend());
      const first = new InMemoryBackend();
      mount(hybrid, '/m', kind.wrap(first));
      assert.throws(() => mount(hybrid, '/', kind.wrap(new InMemoryBackend())), RestateMountError);
      assert.throws(() => mount(hybrid, 'm/', kind.wrap(new InMemoryBackend())), RestateMountError);
      assert.throws(() => hybrid.unmount('/'), RestateMountError);
      assert.throws(() => hybrid.unmount(''), RestateMountError);
      await hybrid.write('/m/x', 1);
      assert.equal(first.read('/x'), 1, 'the first mount is still in place');
      assert.deepEqual(await hybrid.read('/'), { m: { x: 1 } }, 'later calls still work (Differs: unmount("/") broke them)');
    });
  });
}

test('S22 the sync hybrid rejects a mounted backend that returns promises with a RestateUsageError', () => {
  const hybrid = new HybridSyncBackend(new InMemoryBackend());
  hybrid.mount('/async', promisedBackend() as unknown as Backend);
  assert.throws(() => hybrid.read('/async/x'), RestateUsageError);
  assert.throws(() => hybrid.write('/async/x', 1), RestateUsageError);
  assert.deepEqual(hybrid.listChildren('/other'), []);
});

test('S100 the async hybrid takes an async root', async () => {
  const store = new InMemoryBackend();
  const hybrid = new HybridAsyncBackend(promisedBackend(store));
  hybrid.mount('/sync', new InMemoryBackend());
  await hybrid.write('/a', 1);
  await hybrid.write('/sync/b', 2);
  assert.deepEqual(store.read('/'), { a: 1 });
  assert.deepEqual(await hybrid.read('/'), { a: 1, sync: { b: 2 } });
});
