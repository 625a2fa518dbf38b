import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  CachingAsyncBackend,
  CachingSyncBackend,
  FileSystemAsyncBackend,
  FileSystemSyncBackend,
  InMemoryBackend,
  MISSING,
  RestateBackendError,
  RestateConflictError,
  RestateFormatError,
  RestateSerializeError,
  RestateUsageError,
} from '../../../extension/restate/index';
import type { AsyncBackend, Backend, BackendChange, CachingOptions } from '../../../extension/restate/index';
import { FlakyBackend, ManualClock, promisedBackend } from '../../backends/helpers';
import { freshDir } from './fs-helpers';

/** Lets every other pending callback run first: a slow backend's operation, without any clock. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

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
      const clock = new ManualClock();
      const cache = open(t, kind, inner, { flushInterval: 0.05, flushOnWrite: false, flushOnRead: true, clock });
      await cache.write('/a', 1);
      await clock.advance(49);
      assert.equal(await cache.read('/a'), 1);
      assert.equal(cache.pendingCount, 1, 'too early for the read to flush');
      await clock.advance(1);
      assert.equal(cache.pendingCount, 1, 'writes do not trigger here, so no timer was armed');
      assert.equal(clock.pendingTimers, 0);
      await cache.read('/other', null);
      assert.equal(cache.pendingCount, 0);
      assert.equal(inner.read('/a'), 1);
    });

    test('S108 the timer flushes a lone write in time', async (t) => {
      const inner = new InMemoryBackend();
      const clock = new ManualClock();
      const cache = open(t, kind, inner, { flushInterval: 0.05, clock });
      await clock.advance(10);
      await cache.write('/a', 1);
      await cache.delete('/gone');
      assert.equal(cache.pendingCount, 2);
      await clock.advance(39);
      assert.equal(cache.pendingCount, 2, 'not before flushInterval has passed since the cache began');
      await clock.advance(1);
      assert.equal(cache.pendingCount, 0);
      assert.equal(inner.read('/a'), 1);
    });

    test('S108 non-trigger operations wait for the next flush, then go in order', async (t) => {
      const inner = new InMemoryBackend();
      const clock = new ManualClock();
      const cache = open(t, kind, inner, { flushInterval: 0, flushOnWrite: false, clock });
      await cache.write('/a', 1);
      await cache.write('/a', 2);
      await clock.advance(20);
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
      const clock = new ManualClock();
      const cache = open(t, kind, inner, { flushInterval: 0.03, onFlushError: (error) => seen.push(error), clock });
      inner.failing = true;
      await cache.write('/x', 1);
      await clock.advance(30);
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

    test('S110 pending operations survive invalidate and keep precedence in reads; S130 the flush still finds the conflict', async (t) => {
      const inner = new InMemoryBackend();
      const cache = open(t, kind, inner, LONG);
      await cache.write('/x', 5);
      await cache.write('/y', 6);
      inner.write('/x', 9);
      inner.write('/z', 1);
      cache.invalidate();
      assert.equal(await cache.read('/x'), 5);
      assert.deepEqual(await cache.read('/'), { x: 5, y: 6, z: 1 });
      await assert.rejects(async () => cache.flush(), RestateConflictError);
      assert.deepEqual(inner.read('/'), { x: 9, y: 6, z: 1 }, 'invalidate does not make a pending write win over a newer value');
    });

    test('S130 a flush keeps the value another writer wrote meanwhile, and the next flush() throws the conflict', async (t) => {
      const inner = new InMemoryBackend();
      const cache = open(t, kind, inner, LONG);
      await cache.write('/counter', 1);
      inner.write('/counter', 500);
      await assert.rejects(async () => cache.flush(), (error: unknown) => {
        assert.ok(error instanceof RestateConflictError);
        assert.equal(error.code, 'conflict');
        assert.equal(error.path, '/counter');
        assert.equal(error.droppedValue, 1);
        assert.equal(error.winningValue, 500);
        assert.match(error.message, /\/counter/);
        return true;
      });
      assert.equal(inner.read('/counter'), 500, 'the newer value was not overwritten');
      assert.equal(cache.pendingCount, 0, 'the losing write was dropped');
      assert.equal(await cache.read('/counter'), 500, 'reads show the value that won');
      await cache.flush();
    });

    test('S130 the conflict goes to onConflict and the node is reported changed to watchers', async (t) => {
      const inner = new InMemoryBackend();
      inner.write('/a', 'v1');
      inner.write('/b', 'b1');
      const conflicts: RestateConflictError[] = [];
      const cache = open(t, kind, inner, { ...LONG, onConflict: (error) => conflicts.push(error) });
      const changes: BackendChange[] = [];
      const stop = cache.watch((change) => changes.push(change));
      assert.equal(await cache.read('/a'), 'v1');
      await cache.write('/a', 'mine');
      await cache.write('/b', 'b2');
      await cache.delete('/gone');
      inner.write('/a', 'theirs');
      await cache.flush();
      assert.deepEqual(conflicts.map((error) => [error.path, error.droppedValue, error.winningValue]), [['/a', 'mine', 'theirs']]);
      assert.deepEqual(changes, [{ path: '/a', kind: 'write', value: 'theirs' }]);
      assert.deepEqual(inner.read('/'), { a: 'theirs', b: 'b2' }, 'the other pending operations went through');
      stop();
      inner.write('/a', 'again');
      cache.invalidate('/a');
      await cache.write('/a', 'x');
      inner.write('/a', 'newer');
      await cache.flush();
      assert.equal(changes.length, 1, 'a stopped watcher hears nothing');
      assert.equal(conflicts.length, 2);
    });

    test('S130 a write based on a read that went stale is not written back, even with flushInterval 0', async (t) => {
      const inner = new InMemoryBackend();
      inner.write('/x', 'v1');
      const conflicts: RestateConflictError[] = [];
      const cache = open(t, kind, inner, { flushInterval: 0, onConflict: (error) => conflicts.push(error) });
      assert.equal(await cache.read('/x'), 'v1');
      inner.write('/x', 'v2');
      await cache.write('/x', 'v3');
      assert.equal(inner.read('/x'), 'v2');
      assert.equal(conflicts.length, 1);
      assert.equal(conflicts[0].droppedValue, 'v3');
      assert.equal(await cache.read('/x'), 'v2');
      await cache.write('/x', 'v4');
      assert.equal(inner.read('/x'), 'v4', 'once the cache has seen the newer value, its writes go through');
    });

    test('S110 a written node that the conflict check found without children reads from the cache after the flush; an object or a node with children is read again', async (t) => {
      const inner = new FlakyBackend();
      inner.write('/leaf', 1);
      inner.write('/parent', 'own');
      inner.write('/parent/child', 2);
      inner.write('/object', 0);
      const cache = open(t, kind, inner, { flushInterval: 0 });
      for (const path of ['/leaf', '/parent', '/object']) await cache.read(path);
      await cache.write('/leaf', [1, 2]);
      await cache.write('/parent', 'new own');
      await cache.write('/object', { a: 1 });
      inner.calls.length = 0;
      assert.deepEqual(await cache.read('/leaf'), [1, 2]);
      assert.deepEqual(await cache.read('/parent'), { '/': 'new own', child: 2 });
      assert.deepEqual(await cache.read('/object'), { a: 1 });
      assert.deepEqual(inner.calls.filter((call) => call.op === 'read').map((call) => call.path), ['/parent', '/object']);
      // The kept read goes with any change below it, as every cached read does.
      await cache.write('/leaf/below', 3);
      assert.deepEqual(await cache.read('/leaf'), { '/': [1, 2], below: 3 });
    });

    test('S130 a change since the cache last wrote the node is a conflict too', async (t) => {
      const inner = new InMemoryBackend();
      const conflicts: RestateConflictError[] = [];
      const cache = open(t, kind, inner, { ...LONG, onConflict: (error) => conflicts.push(error) });
      await cache.write('/counter', 1);
      await cache.flush();
      inner.write('/counter', 500);
      await cache.write('/counter', 2);
      await cache.flush();
      assert.equal(inner.read('/counter'), 500);
      assert.deepEqual(conflicts.map((error) => error.droppedValue), [2]);
    });

    test('S130 a delete over a value another writer changed is dropped; a node they created is kept', async (t) => {
      const inner = new InMemoryBackend();
      inner.write('/x', 1);
      const conflicts: RestateConflictError[] = [];
      const cache = open(t, kind, inner, { ...LONG, onConflict: (error) => conflicts.push(error) });
      const changes: BackendChange[] = [];
      cache.watch((change) => changes.push(change));
      assert.equal(await cache.read('/x'), 1);
      assert.equal(await cache.read('/y', MISSING), MISSING);
      await cache.delete('/x');
      await cache.write('/y', 'mine');
      inner.write('/x', 2);
      inner.write('/y', 'theirs');
      await cache.flush();
      assert.deepEqual(inner.read('/'), { x: 2, y: 'theirs' });
      assert.deepEqual(conflicts.map((error) => [error.path, error.droppedValue, error.winningValue]), [['/x', undefined, 2], ['/y', 'mine', 'theirs']]);
      assert.deepEqual(changes, [{ path: '/x', kind: 'write', value: 2 }, { path: '/y', kind: 'write', value: 'theirs' }]);
      await cache.write('/z', 1);
      await cache.flush();
      inner.delete('/z');
      await cache.write('/z', 2);
      await cache.flush();
      assert.equal(inner.read('/z', MISSING), MISSING, 'a node another writer deleted stays deleted');
      assert.deepEqual(changes.at(-1), { path: '/z', kind: 'delete' });
    });

    test('S130 a conflict found by the timer flush is thrown by the next call that flushes', async (t) => {
      const inner = new InMemoryBackend();
      const clock = new ManualClock();
      const cache = open(t, kind, inner, { flushInterval: 0.03, clock });
      await cache.write('/x', 'mine');
      inner.write('/x', 'theirs');
      await clock.advance(30);
      assert.equal(cache.pendingCount, 0, 'the timer flushed');
      assert.equal(inner.read('/x'), 'theirs');
      await assert.rejects(async () => cache.write('/y', 1), (error: unknown) => error instanceof RestateConflictError && error.path === '/x');
      assert.equal(await cache.read('/y'), 1, 'the write that reported the conflict was made');
      await cache.flush();
    });

    test('S130 a node whose value cannot be parsed is written over while it stays so, and not once another writer fixed it', async (t) => {
      const store = new InMemoryBackend();
      const broken = new Set(['/x', '/y']);
      const inner: Backend = {
        read: (...args: [path: string, dflt?: unknown]) => {
          if (broken.has(args[0])) throw new RestateFormatError('test', args[0], `${args[0]}.json`, 'the file is cut short');
          return args.length < 2 ? store.read(args[0]) : store.read(args[0], args[1]);
        },
        write: (path, value) => {
          broken.delete(path);
          store.write(path, value);
        },
        delete: (path) => store.delete(path),
        listChildren: (path) => store.listChildren(path),
      };
      const conflicts: RestateConflictError[] = [];
      const changes: BackendChange[] = [];
      const cache = open(t, kind, inner, { ...LONG, onConflict: (error) => conflicts.push(error) });
      cache.watch((change) => changes.push(change));
      await cache.write('/x', 1);
      await cache.write('/y', 2);
      broken.delete('/y');
      store.write('/y', 'fixed by its other writer');
      await cache.flush();
      assert.equal(store.read('/x'), 1);
      assert.equal(store.read('/y'), 'fixed by its other writer');
      assert.deepEqual(conflicts.map((error) => [error.path, error.droppedValue, error.winningValue]), [['/y', 2, 'fixed by its other writer']]);
      await cache.write('/x', 3);
      broken.add('/x');
      await cache.flush();
      assert.deepEqual(conflicts.map((error) => [error.path, error.winningValue]).at(-1), ['/x', undefined]);
      assert.deepEqual(changes.at(-1), { path: '/x', kind: 'write' }, 'a value that cannot be read is reported without one');
    });

    test('S130 invalidate takes the storage as it is now: the next write goes through', async (t) => {
      const inner = new InMemoryBackend();
      inner.write('/x', 1);
      const cache = open(t, kind, inner, LONG);
      assert.equal(await cache.read('/x'), 1);
      inner.write('/x', 2);
      cache.invalidate('/x');
      assert.equal(await cache.read('/x'), 2);
      await cache.write('/x', 3);
      await cache.flush();
      assert.equal(inner.read('/x'), 3);
    });

    test('S130 writes through the cache alone never conflict, whatever the order of flushes', async (t) => {
      const inner = new InMemoryBackend();
      const cache = open(t, kind, inner, { flushInterval: 0, flushOnWrite: false });
      for (let i = 0; i < 5; i++) {
        await cache.write('/p/a', i);
        await cache.write('/p', { own: i });
        if (i % 2 === 1) await cache.delete('/p');
        await cache.flush();
      }
      await cache.write('/p/a', 'last');
      await cache.flush();
      assert.deepEqual(inner.read('/p'), { '/': { own: 4 }, a: 'last' });
    });

    test('S130 a parent read that shows a newer child value replaces the cached child read', async (t) => {
      const inner = new InMemoryBackend();
      inner.write('/p/a', 1);
      inner.write('/p/b', 1);
      const conflicts: RestateConflictError[] = [];
      const cache = open(t, kind, inner, { flushInterval: 0, onConflict: (error) => conflicts.push(error) });
      assert.equal(await cache.read('/p/a'), 1);
      assert.equal(await cache.read('/p/b'), 1);
      inner.write('/p/a', 2);
      assert.deepEqual(await cache.read('/p'), { a: 2, b: 1 });
      assert.equal(await cache.read('/p/a'), 2, 'the child read agrees with the parent read');
      await cache.write('/p/a', 3);
      assert.deepEqual(conflicts, [], 'the cache had read the value it writes over');
      assert.equal(inner.read('/p/a'), 3);
    });

    test('S130 maxAge bounds how long a cached read can be stale', async (t) => {
      const inner = new InMemoryBackend();
      inner.write('/x', 'v1');
      inner.write('/p/a', 1);
      const clock = new ManualClock();
      const cache = open(t, kind, inner, { ...LONG, maxAge: 0.05, clock });
      assert.equal(await cache.read('/x'), 'v1');
      assert.deepEqual(await cache.listChildren('/p'), ['a']);
      inner.write('/x', 'v2');
      inner.write('/p/b', 2);
      await clock.advance(50);
      assert.equal(await cache.read('/x'), 'v1', 'served from the cache within maxAge');
      assert.deepEqual(await cache.listChildren('/p'), ['a']);
      await clock.advance(1);
      assert.equal(await cache.read('/x'), 'v2');
      assert.deepEqual(await cache.listChildren('/p'), ['a', 'b']);
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

/** Another process writes `text` to a value file, as a second program sharing the state folder would. */
function writeFromAnotherProcess(file: string, text: string): void {
  const result = spawnSync(process.execPath, ['-e', `require('node:fs').writeFileSync(${JSON.stringify(file)}, ${JSON.stringify(text)})`]);
  assert.equal(result.status, 0, String(result.stderr));
}

const fileCaches = [
  { name: 'CachingSyncBackend over FileSystemSyncBackend', make: (base: string, options: CachingOptions) => new CachingSyncBackend(new FileSystemSyncBackend(base), options) },
  { name: 'CachingAsyncBackend over FileSystemAsyncBackend', make: (base: string, options: CachingOptions) => new CachingAsyncBackend(new FileSystemAsyncBackend(base), options) },
];

for (const { name, make } of fileCaches) {
  test(`S130 ${name}: a value another process wrote to the file is kept, in the file and in reads`, async (t) => {
    const base = join(freshDir(), 'state');
    const conflicts: RestateConflictError[] = [];
    const cache = make(base, { flushInterval: 3600, onConflict: (error) => conflicts.push(error) });
    t.after(() => cache.close());
    await cache.write('/counter', 1);
    await cache.flush();
    await cache.write('/counter', 2);
    writeFromAnotherProcess(join(base, 'counter.json'), '500');
    await cache.flush();
    assert.equal(readFileSync(join(base, 'counter.json'), 'utf8'), '500');
    assert.deepEqual(conflicts.map((error) => [error.path, error.droppedValue, error.winningValue]), [['/counter', 2, 500]]);
    assert.equal(await cache.read('/counter'), 500);
    // A change that keeps the file's size, within the resolution of its modification time: the content decides.
    assert.equal(await cache.read('/v'), MISSING);
    await cache.write('/v', 'v1');
    await cache.flush();
    assert.equal(await cache.read('/v'), 'v1');
    writeFromAnotherProcess(join(base, 'v.json'), '"v2"');
    await cache.write('/v', 'v3');
    await cache.flush();
    assert.equal(readFileSync(join(base, 'v.json'), 'utf8'), '"v2"');
    assert.equal(conflicts.length, 2);
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
      await nextTurn();
      store.write(path, value);
      active--;
    },
    delete: async (path) => store.delete(path),
    listChildren: async (path) => store.listChildren(path),
  };
  const clock = new ManualClock();
  const cache = new CachingAsyncBackend(slow, { flushInterval: 0.01, clock });
  t.after(() => cache.close());
  const calls: Promise<void>[] = [];
  for (let i = 0; i < 20; i++) {
    calls.push(cache.write(`/k${i % 3}`, i));
    if (i % 4 === 0) calls.push(cache.flush());
    // The timer's flush starts while the writes' and the explicit flushes are still running.
    if (i % 7 === 0) {
      await nextTurn();
      await clock.advance(12);
    }
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
      read: (path, dflt) => dflt,
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
