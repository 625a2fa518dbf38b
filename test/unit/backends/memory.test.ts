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
});
