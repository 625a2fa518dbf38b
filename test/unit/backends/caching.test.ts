import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  CachingAsyncBackend,
  CachingSyncBackend,
  InMemoryBackend,
  MISSING,
  RestateBackendError,
  RestateSerializeError,
  RestateUsageError,
} from '../../../extension/restate/index';
import type { AsyncBackend, Backend, CachingOptions } from '../../../extension/restate/index';
import { FlakyBackend, promisedBackend } from '../../backends/helpers';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

type Caching = CachingSyncBackend | CachingAsyncBackend;

interface Kind {
  name: string;
  make(inner: Backend, options?: CachingOptions): Caching;
}

/** Every scenario runs over the sync class, the async class, and the async class over an async inner backend. */
const kinds: Kind[] = [
  { name: 'CachingSyncBackend', make: (inner, options) => new CachingSyncBackend(inner, options) },
  { name: 'CachingAsyncBackend', make: (inner, options) => new CachingAsyncBackend(inner, options) },
  { name: 'CachingAsyncBackend over an async backend', make: (inner, options) => new CachingAsyncBackend(promisedBackend(inner), options) },
];

/** Makes a caching backend that is closed after the test, so no timer or exit hook outlives it. */
function open(t: TestContext, kind: Kind, inner: Backend, options?: CachingOptions): Caching {
  const backend = kind.make(inner, options);
  t.after(async () => {
    try {
      await backend.close();
    } catch {
      // A test that leaves the inner backend failing cannot be closed cleanly; that is expected there.
    }
  });
  return backend;
}

const LONG = { flushInterval: 3600 };

for (const kind of kinds) {
  describe(kind.name, () => {
    test('S106 defaults: a write soon after creation waits, flushInterval 0 flushes at once', async (t) => {
      const inner = new InMemoryBackend();
      const lazy = open(t, kind, inner);
      await lazy.write('/a', 1);
      assert.equal(lazy.pendingCount, 1);
      assert.equal(inner.read('/a'), MISSING);
      const eager = open(t, kind, inner, { flushInterval: 0 });
      await eager.write('/b', 2);
      assert.equal(eager.pendingCount, 0);
      assert.equal(inner.read('/b'), 2);
    });

    test('S107 pending writes and deletes show in reads and listChildren at once', async (t) => {
      const inner = new InMemoryBackend();
      const cache = open(t, kind, inner, LONG);
      await cache.write('/x', 1);
      await cache.write('/y/z', 2);
      await cache.delete('/y/z');
      assert.equal(await cache.read('/x'), 1);
      assert.equal(await cache.read('/y', MISSING), MISSING);
      assert.deepEqual(await cache.listChildren('/'), ['x']);
      assert.equal(cache.pendingCount, 3);
      assert.equal(inner.read('/'), MISSING);
    });

    test('S107 parent reads combine cached, pending and inner data (Differs: only cached children showed)', async (t) => {
      const inner = new InMemoryBackend();
      inner.write('/p/a', 1);
      inner.write('/p/b', 2);
      inner.write('/p/c/d', 3);
      inner.write('/p', 'own');
      const cache = open(t, kind, inner, LONG);
      assert.equal(await cache.read('/p/a'), 1, 'now cached');
      await cache.write('/p/new', 4);
      await cache.delete('/p/b');
      await cache.write('/p/c/e', 5);
      assert.deepEqual(await cache.read('/p'), { '/': 'own', a: 1, c: { d: 3, e: 5 }, new: 4 });
      assert.deepEqual(await cache.listChildren('/p'), ['a', 'c', 'new']);
      assert.deepEqual(await cache.listChildren('/p/c'), ['d', 'e']);
      await cache.delete('/p');
      await cache.write('/p/c/only', 6);
      assert.deepEqual(await cache.read('/p'), { c: { only: 6 } }, 'a pending delete hides the inner subtree');
      await cache.delete('/p/c/only');
      assert.equal(await cache.read('/p', MISSING), MISSING, 'the valueless parents went with their last child');
      assert.deepEqual(await cache.listChildren('/'), []);
      await cache.flush();
      assert.equal(inner.read('/'), MISSING);
    });

    test('S107 a pending delete of an inner-only child leaves a valued parent, and removes a valueless one', async (t) => {
      const inner = new InMemoryBackend();
      inner.write('/v', 'value');
      inner.write('/v/only', 1);
      inner.write('/n/only', 1);
      const cache = open(t, kind, inner, LONG);
      await cache.delete('/v/only');
      await cache.delete('/n/only');
      assert.deepEqual(await cache.listChildren('/'), ['v']);
      assert.deepEqual(await cache.read('/'), { v: 'value' });
    });

    test('S108 a trigger operation flushes once flushInterval has passed since the last flush', async (t) => {
      const inner = new InMemoryBackend();
      const cache = open(t, kind, inner, { flushInterval: 0.05, flushOnWrite: false, flushOnRead: true });
      await cache.write('/a', 1);
      assert.equal(await cache.read('/a'), 1);
      assert.equal(cache.pendingCount, 1, 'too early for the read to flush');
      await sleep(70);
      assert.equal(cache.pendingCount, 1, 'writes do not trigger here, so no timer was armed');
      await cache.read('/other', null);
      assert.equal(cache.pendingCount, 0);
      assert.equal(inner.read('/a'), 1);
    });

    test('S108 the timer flushes a lone write in time', async (t) => {
      const inner = new InMemoryBackend();
      const cache = open(t, kind, inner, { flushInterval: 0.05 });
      await cache.write('/a', 1);
      await cache.delete('/gone');
      assert.equal(cache.pendingCount, 2);
      await sleep(120);
      assert.equal(cache.pendingCount, 0);
      assert.equal(inner.read('/a'), 1);
    });

    test('S108 non-trigger operations wait for the next flush, then go in order', async (t) => {
      const inner = new InMemoryBackend();
      const cache = open(t, kind, inner, { flushInterval: 0, flushOnWrite: false });
      await cache.write('/a', 1);
      await cache.write('/a', 2);
      await sleep(20);
      assert.equal(cache.pendingCount, 2);
      assert.equal(inner.read('/a'), MISSING);
      await cache.delete('/b');
      assert.equal(cache.pendingCount, 0, 'the delete triggered a flush of everything queued');
      assert.equal(inner.read('/a'), 2);
    });

    test('S109 a failed flush keeps the failed operation and the later ones queued, in order', async (t) => {
      const inner = new FlakyBackend();
      const cache = open(t, kind, inner, { flushInterval: 0 });
      inner.failing = true;
      await assert.rejects(async () => cache.write('/x', 1), (error: unknown) => {
        assert.ok(error instanceof RestateBackendError);
        assert.equal(error.path, '/x');
        assert.match(error.message, /disk full/);
        assert.ok(error.cause instanceof Error);
        return true;
      });
      await assert.rejects(async () => cache.delete('/x'), RestateBackendError);
      await assert.rejects(async () => cache.write('/x', 3), RestateBackendError);
      assert.equal(cache.pendingCount, 3);
      assert.equal(await cache.read('/x'), 3, 'reads still reflect the queue');
      inner.failing = false;
      const writesBefore = inner.count('write');
      await cache.flush();
      assert.equal(cache.pendingCount, 0);
      assert.equal(inner.store.read('/x'), 3);
      assert.deepEqual(
        inner.calls.slice(-3).map((c) => `${c.op} ${c.path}`),
        ['write /x', 'delete /x', 'write /x'],
      );
      assert.equal(inner.count('write'), writesBefore + 2);
    });

    test('S109 a failed timer flush calls onFlushError and the next write throws the error', async (t) => {
      const inner = new FlakyBackend();
      const seen: unknown[] = [];
      const cache = open(t, kind, inner, { flushInterval: 0.03, onFlushError: (error) => seen.push(error) });
      inner.failing = true;
      await cache.write('/x', 1);
      await sleep(80);
      assert.equal(seen.length, 1);
      assert.ok(seen[0] instanceof RestateBackendError);
      await assert.rejects(async () => cache.write('/y', 2), (error: unknown) => error === seen[0]);
      assert.equal(await cache.read('/y', MISSING), MISSING, 'the write that reported the error did nothing');
      inner.failing = false;
      await cache.write('/y', 2);
      await cache.flush();
      assert.deepEqual(inner.store.read('/'), { x: 1, y: 2 });
    });

    test('S109 a value the inner backend refuses is dropped from the queue and its error thrown', async (t) => {
      const inner = new InMemoryBackend();
      const refusing: Backend = {
        read: (...args: [path: string, dflt?: unknown]) => (args.length < 2 ? inner.read(args[0]) : inner.read(args[0], args[1])),
        write: (path, value) => {
          if (typeof value === 'number' && Number.isNaN(value)) throw new RestateSerializeError('test', path, '', 'NaN is not JSON');
          inner.write(path, value);
        },
        delete: (path) => inner.delete(path),
        listChildren: (path) => inner.listChildren(path),
      };
      const cache = open(t, kind, refusing, { flushInterval: 0 });
      await cache.write('/x', 1);
      await assert.rejects(async () => cache.write('/x', Number.NaN), RestateSerializeError);
      assert.equal(cache.pendingCount, 0);
      assert.equal(await cache.read('/x'), 1);
      await cache.write('/y', 2);
      assert.deepEqual(inner.read('/'), { x: 1, y: 2 });
    });

    test('S110 reads are cached until invalidated; invalidate shows an external change', async (t) => {
      const inner = new FlakyBackend();
      inner.store.write('/x', 1);
      inner.store.write('/p/a', 1);
      const cache = open(t, kind, inner, LONG);
      assert.equal(await cache.read('/x'), 1);
      assert.equal(await cache.read('/x'), 1);
      assert.equal(inner.count('read'), 1, 'the second read came from the cache');
      assert.deepEqual(await cache.read('/p'), { a: 1 });
      inner.store.write('/x', 2);
      inner.store.write('/p/a', 2);
      assert.equal(await cache.read('/x'), 1, 'stale until invalidated');
      cache.invalidate('/p/a');
      assert.deepEqual(await cache.read('/p'), { a: 2 }, 'the parent read containing it went too');
      assert.equal(await cache.read('/x'), 1, 'outside the invalidated path');
      cache.invalidate();
      assert.equal(await cache.read('/x'), 2);
    });

    test('S110 invalidate drops the subtree and the reads containing it, and keeps everything else', async (t) => {
      //        /
      //      /   \
      //     p     q
      //    / \     \
      //   a   b     c        invalidate('/p/a'): drops /p/a/…, /p, /; keeps /p/b, /q, /q/c
      //   |
      //   d
      const inner = new FlakyBackend();
      for (const path of ['/p/a/d', '/p/b', '/q/c']) inner.store.write(path, 1);
      inner.store.write('/p/a', 0);
      const cache = open(t, kind, inner, LONG);
      const paths = ['/', '/p', '/p/a', '/p/a/d', '/p/b', '/q', '/q/c'];
      for (const path of paths) {
        await cache.read(path);
        await cache.listChildren(path);
      }
      const reads = (path: string): number => inner.calls.filter((call) => call.op === 'read' && call.path === path).length;
      const lists = (path: string): number => inner.calls.filter((call) => call.op === 'list' && call.path === path).length;
      const before = new Map(paths.map((path) => [path, [reads(path), lists(path)]]));
      cache.invalidate('/p/a');
      for (const path of paths) {
        await cache.read(path);
        await cache.listChildren(path);
      }
      const reread = paths.filter((path) => reads(path) > before.get(path)![0]);
      assert.deepEqual(reread, ['/', '/p', '/p/a', '/p/a/d']);
      // Empty listings are never cached, so only the listings of nodes with children are compared.
      const relisted = ['/', '/p', '/p/a', '/q'].filter((path) => lists(path) > before.get(path)![1]);
      assert.deepEqual(relisted, ['/', '/p', '/p/a']);
      const beforeOwn = new Map(paths.map((path) => [path, reads(path)]));
      cache.invalidate('/p', { subtree: false });
      for (const path of paths) await cache.read(path);
      assert.deepEqual(paths.filter((path) => reads(path) > beforeOwn.get(path)!), ['/', '/p'],
        'subtree: false keeps the reads below');
      cache.invalidate('/q');
      inner.store.write('/q/c', 2);
      assert.equal(await cache.read('/q/c'), 2, 'a descendant of an invalidated node is read again');
    });

    test('S110 invalidating one leaf among many costs the leaf, not the whole cache', async (t) => {
      const inner = new InMemoryBackend();
      const count = 10_000;
      for (let i = 0; i < count; i++) inner.write(`/n${i}`, i);
      const cache = open(t, kind, inner, LONG);
      for (let i = 0; i < count; i++) await cache.read(`/n${i}`);
      const started = performance.now();
      for (let i = 0; i < 1_000; i++) cache.invalidate(`/n${i}`);
      const elapsed = performance.now() - started;
      // A scan of every cached key per call takes seconds here; the index keeps it to a few milliseconds.
      assert.ok(elapsed < 250, `1,000 invalidations over ${count} cached reads took ${elapsed.toFixed(0)} ms`);
      inner.write('/n0', 'new');
      inner.write('/n1000', 'new');
      assert.equal(await cache.read('/n0'), 'new');
      assert.equal(await cache.read('/n1000'), 1000, 'still cached');
    });

    test('S110 MISSING is never cached (Differs: defaults were cached forever)', async (t) => {
      const inner = new InMemoryBackend();
      const cache = open(t, kind, inner, LONG);
      assert.equal(await cache.read('/y', 'dflt'), 'dflt');
      inner.write('/y', 1);
      assert.equal(await cache.read('/y', 'dflt'), 1);
    });

    test('S110 pending operations survive invalidate and keep precedence', async (t) => {
      const inner = new InMemoryBackend();
      const cache = open(t, kind, inner, LONG);
      await cache.write('/x', 5);
      inner.write('/x', 9);
      inner.write('/z', 1);
      cache.invalidate();
      assert.equal(await cache.read('/x'), 5);
      assert.deepEqual(await cache.read('/'), { x: 5, z: 1 });
      await cache.flush();
      assert.equal(inner.read('/x'), 5);
    });

    test('S111 close flushes, and every later operation throws a RestateUsageError', async () => {
      const inner = new InMemoryBackend();
      const cache = kind.make(inner, LONG);
      await cache.write('/a', 1);
      await cache.close();
      assert.equal(inner.read('/a'), 1);
      assert.equal(cache.pendingCount, 0);
      await cache.close();
      for (const call of [
        () => cache.read('/a'),
        () => cache.write('/a', 2),
        () => cache.delete('/a'),
        () => cache.listChildren('/'),
        () => cache.flush(),
        () => cache.invalidate('/'),
      ]) {
        await assert.rejects(async () => call(), RestateUsageError);
      }
    });

    test('S111 a close whose flush fails throws and leaves the backend open to retry', async () => {
      const inner = new FlakyBackend();
      const cache = kind.make(inner, LONG);
      await cache.write('/a', 1);
      inner.failing = true;
      await assert.rejects(async () => cache.close(), RestateBackendError);
      assert.equal(await cache.read('/a'), 1);
      inner.failing = false;
      await cache.close();
      assert.equal(inner.store.read('/a'), 1);
    });
  });
}

test('S109 async flushes never overlap', async (t) => {
  let active = 0;
  let maxActive = 0;
  const store = new InMemoryBackend();
  const slow: AsyncBackend = {
    read: async (...args: [path: string, dflt?: unknown]) => (args.length < 2 ? store.read(args[0]) : store.read(args[0], args[1])),
    write: async (path, value) => {
      active++;
      maxActive = Math.max(maxActive, active);
      await sleep(5);
      store.write(path, value);
      active--;
    },
    delete: async (path) => store.delete(path),
    listChildren: async (path) => store.listChildren(path),
  };
  const cache = new CachingAsyncBackend(slow, { flushInterval: 0.01 });
  t.after(() => cache.close());
  const calls: Promise<void>[] = [];
  for (let i = 0; i < 20; i++) {
    calls.push(cache.write(`/k${i % 3}`, i));
    if (i % 4 === 0) calls.push(cache.flush());
    if (i % 7 === 0) await sleep(12);
  }
  await Promise.all(calls);
  await cache.flush();
  assert.equal(maxActive, 1);
  assert.deepEqual(store.read('/'), { k0: 18, k1: 19, k2: 17 });
});

test('S111 all CachingSyncBackends share one exit hook, removed when the last one closes', () => {
  const before = process.listenerCount('exit');
  const first = new CachingSyncBackend(new InMemoryBackend());
  const second = new CachingSyncBackend(new InMemoryBackend());
  assert.equal(process.listenerCount('exit'), before + 1);
  first.close();
  assert.equal(process.listenerCount('exit'), before + 1);
  second.close();
  assert.equal(process.listenerCount('exit'), before);
  const async = new CachingAsyncBackend(new InMemoryBackend());
  assert.equal(process.listenerCount('exit'), before, 'the async class cannot flush at exit, so it adds no hook');
  void async.close();
});

test('S111 CachingSyncBackend flushes at process exit, and its timer does not keep the process alive', () => {
  const index = fileURLToPath(new URL('../../../extension/restate/index.ts', import.meta.url));
  const script = `
    const { writeSync } = require('node:fs');
    const { CachingSyncBackend } = require(${JSON.stringify(index)});
    const inner = {
      read: () => Symbol('missing'),
      write: (path, value) => writeSync(1, 'flushed ' + path + '=' + JSON.stringify(value) + '\\n'),
      delete: () => undefined,
    };
    const cache = new CachingSyncBackend(inner, { flushInterval: 60 });
    cache.write('/a', 1);
    cache.write('/b', 'two');
  `;
  const started = Date.now();
  const result = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, 'flushed /a=1\nflushed /b="two"\n');
  assert.ok(Date.now() - started < 15_000, 'the process ended without waiting for the 60 s timer');
});
