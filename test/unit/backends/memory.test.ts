import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InMemoryBackend, MISSING, RestateValueError } from '../../../extension/restate/index';

describe('InMemoryBackend specifics', () => {
  it('S10 a child named __proto__ is an ordinary key of the parent read, not its prototype', () => {
    const backend = new InMemoryBackend();
    backend.write('/a/__proto__', 1);
    backend.write('/a/b', 2);
    const read = backend.read('/a') as Record<string, unknown>;
    assert.deepEqual(Object.keys(read), ['__proto__', 'b']);
    assert.equal(Object.getPrototypeOf(read), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(read, '__proto__')?.value, 1);
  });

  it('S80 siblings written after their parent was deleted and re-created land in the new parent', () => {
    const backend = new InMemoryBackend();
    backend.write('/p/x', 1);
    backend.delete('/p');
    backend.write('/p/y', 2);
    assert.deepEqual(backend.read('/p'), { y: 2 });
    assert.equal(backend.read('/p/x'), MISSING);
  });

  it('S79 reads after writes to siblings in turn see each sibling', () => {
    const backend = new InMemoryBackend();
    for (let i = 0; i < 5; i++) backend.write(`/s/${i % 2}/${i}`, i);
    assert.deepEqual(backend.read('/s'), { '0': { '0': 0, '2': 2, '4': 4 }, '1': { '1': 1, '3': 3 } });
    assert.equal(backend.read('/s/1/3'), 3);
    assert.equal(backend.read('/s/1/4'), MISSING);
  });

  it('S79 S80 reads that alternate between paths see every write and delete of each, their parents and the root', () => {
    const backend = new InMemoryBackend();
    backend.write('/flag', true);
    backend.write('/p/a', 1);
    const reads = (): unknown[] => [backend.read('/flag'), backend.read('/p/a'), backend.read('/flag'), backend.read('/p/a')];
    assert.deepEqual(reads(), [true, 1, true, 1]);
    backend.write('/p/a', 2);
    assert.deepEqual(reads(), [true, 2, true, 2]);
    backend.delete('/p/a');
    assert.deepEqual(reads(), [true, MISSING, true, MISSING]);
    backend.write('/p/a', 3);
    assert.deepEqual(reads(), [true, 3, true, 3]);
    backend.delete('/p');
    assert.deepEqual(reads(), [true, MISSING, true, MISSING]);
    backend.write('/p/a', 4);
    backend.write('/flag', false);
    assert.deepEqual(reads(), [false, 4, false, 4]);
    backend.delete('/');
    assert.deepEqual(reads(), [MISSING, MISSING, MISSING, MISSING]);
    backend.write('/p/a', 5);
    assert.deepEqual(reads(), [MISSING, 5, MISSING, 5]);
  });

  it('S19 own values are kept by reference', () => {
    const backend = new InMemoryBackend();
    const value = { nested: [1] };
    backend.write('/v', value);
    assert.equal(backend.read('/v'), value);
  });

  it('S79 a handle reads and writes its path as read and write do, and follows the path across deletes', () => {
    const backend = new InMemoryBackend();
    const handle = backend.handle('/p/q');
    assert.equal(handle.read(), MISSING);
    handle.write(1);
    assert.equal(backend.read('/p/q'), 1);
    backend.write('/p/q/r', 2);
    assert.deepEqual(handle.read(), { '/': 1, r: 2 });
    backend.delete('/p/q/r');
    for (const deleted of ['/p/q', '/p', '/']) {
      backend.write('/p/q', 'before');
      assert.equal(handle.read(), 'before');
      backend.delete(deleted);
      assert.equal(handle.read(), MISSING, `after deleting ${deleted}`);
      handle.write(`after ${deleted}`);
      assert.equal(backend.read('/p/q'), `after ${deleted}`);
      assert.deepEqual(backend.listChildren('/p'), ['q']);
    }
  });

  it('S13 a handle refuses undefined and names the path', () => {
    const handle = new InMemoryBackend().handle('/p');
    assert.throws(() => handle.write(undefined), (error: unknown) => error instanceof RestateValueError && /\/p/.test(error.message));
  });

  it('S134 a path 20,000 segments deep is read from above and deleted without overflowing the stack', () => {
    const backend = new InMemoryBackend();
    const depth = 20_000;
    const path = '/' + Array.from({ length: depth }, (_, i) => (i % 2 === 0 ? 'a' : 'b')).join('/');
    backend.write(path, 'leaf');
    backend.write('/a/b', 'own');
    backend.write('/a/side', 1);
    let read = backend.read('/') as Record<string, unknown>;
    for (let level = 0; level < depth - 1; level++) {
      const name = level % 2 === 0 ? 'a' : 'b';
      const keys = level === 1 ? ['/', 'a'] : level === 0 ? ['b', 'side'] : [name === 'a' ? 'b' : 'a'];
      assert.deepEqual(Object.keys(read[name] as object), keys, `level ${level}`);
      read = read[name] as Record<string, unknown>;
    }
    assert.equal(read[depth % 2 === 0 ? 'b' : 'a'], 'leaf');
    backend.delete('/a/b');
    assert.deepEqual(backend.read('/'), { a: { side: 1 } });
    assert.equal(backend.read(path), MISSING);
  });
  it('S79 a path read as missing, then written below, keeps what was written below when it is written itself', () => {
    const backend = new InMemoryBackend();
    backend.write('/a/x', 0);
    assert.equal(backend.read('/a/b'), MISSING);
    backend.write('/a/b/c', 1);
    backend.write('/a/b', 2);
    assert.deepEqual(backend.read('/a'), { b: { '/': 2, c: 1 }, x: 0 });
    assert.equal(backend.read('/a/b/c'), 1);
  });

  it('S19 S79 leaves of every kind of value read back as written, alone, from their parent and after a child is added', () => {
    const backend = new InMemoryBackend();
    const object = { nested: [1] };
    const fn = (): number => 1;
    const symbol = Symbol('s');
    const values: [string, unknown][] = [
      ['zero', 0], ['float', 1.5], ['text', 'x'], ['no', false], ['none', null], ['big', 10n], ['sym', symbol],
      ['fn', fn], ['object', object], ['array', [1, 2]], ['empty', {}],
    ];
    for (const [name, value] of values) backend.write(`/v/${name}`, value);
    for (const [name, value] of values) assert.equal(backend.read(`/v/${name}`), value, name);
    const parent = backend.read('/v') as Record<string, unknown>;
    for (const [name, value] of values) assert.equal(parent[name], value, `${name} in the parent read`);
    assert.deepEqual(backend.listChildren('/v/zero'), []);
    for (const [name, value] of values) {
      backend.write(`/v/${name}/child`, name);
      assert.deepEqual(backend.read(`/v/${name}`), { '/': value, child: name }, name);
      backend.delete(`/v/${name}/child`);
      assert.equal(backend.read(`/v/${name}`), value, `${name} after its child is deleted`);
    }
  });

  it('S19 a proxy stored as a value is neither looked into nor unwrapped', () => {
    const backend = new InMemoryBackend();
    const trapped: string[] = [];
    const value = new Proxy({}, {
      get: (target, key) => { trapped.push(`get ${String(key)}`); return Reflect.get(target, key); },
      getPrototypeOf: (target) => { trapped.push('getPrototypeOf'); return Reflect.getPrototypeOf(target); },
      has: (target, key) => { trapped.push(`has ${String(key)}`); return Reflect.has(target, key); },
    });
    backend.write('/p/v', value);
    backend.write('/p/w', 1);
    assert.equal(backend.read('/p/v'), value);
    assert.equal((backend.read('/p') as Record<string, unknown>).v, value);
    backend.write('/p/v', 2);
    backend.write('/p/v', value);
    backend.delete('/p/v');
    assert.deepEqual(trapped, []);
  });

  it('S79 S80 a deleted subtree of leaves read before and leaves never read is gone from every later read and write', () => {
    const backend = new InMemoryBackend();
    backend.write('/t/a/read', 1);
    backend.write('/t/a/unread', 2);
    backend.write('/t/a/object', { o: 1 });
    backend.write('/t/a/deep/leaf', 3);
    assert.equal(backend.read('/t/a/read'), 1);
    assert.equal(backend.read('/t/a/deep/leaf'), 3);
    backend.delete('/t/a');
    for (const path of ['/t/a/read', '/t/a/unread', '/t/a/object', '/t/a/deep/leaf', '/t/a', '/t']) assert.equal(backend.read(path), MISSING, path);
    backend.write('/t/a/read', 4);
    backend.write('/t/a/deep/leaf', 5);
    assert.deepEqual(backend.read('/t'), { a: { deep: { leaf: 5 }, read: 4 } });
  });

  it('S79 a handle on a leaf written before sees the writes made by path, and the reads by path see its writes', () => {
    const backend = new InMemoryBackend();
    backend.write('/h/leaf', 1);
    const handle = backend.handle('/h/leaf');
    assert.equal(handle.read(), 1);
    backend.write('/h/leaf', 2);
    assert.equal(handle.read(), 2);
    handle.write(3);
    assert.equal(backend.read('/h/leaf'), 3);
    assert.deepEqual(backend.read('/h'), { leaf: 3 });
    backend.write('/h/leaf/below', 4);
    assert.deepEqual(handle.read(), { '/': 3, below: 4 });
  });
  it('S79 S80 writes that move between parents whose paths share a beginning land under the right one, across deletes', () => {
    const backend = new InMemoryBackend();
    const parents = ['/a', '/b', '/ab', '/a/b', '/a/bc', '/b/a'];
    for (let round = 0; round < 3; round++) {
      for (const parent of parents) for (const name of ['x', 'y']) backend.write(`${parent}/${name}`, `${parent}/${name} ${round}`);
      for (const parent of parents) {
        for (const name of ['x', 'y']) assert.equal(backend.read(`${parent}/${name}`), `${parent}/${name} ${round}`);
      }
      assert.deepEqual(backend.listChildren('/a'), ['b', 'bc', 'x', 'y']);
      backend.delete(round === 0 ? '/a' : round === 1 ? '/a/b' : '/');
      assert.equal(backend.read('/a/b/x'), MISSING);
      backend.write('/a/b/z', round);
      assert.deepEqual(backend.read('/a/b'), { z: round });
      backend.delete('/a/b/z');
    }
  });
});
