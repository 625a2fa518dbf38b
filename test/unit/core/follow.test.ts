// Controllers follow a backend's reports of changes made by others (S126–S128): notifications with cause
// 'remote', a resync that re-reads subscribed paths, failures to onFollowError, and followBackend: false.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { InMemoryBackend, type BackendChange, type TraceRecord } from '../../../extension/restate/index';
import { forEachController } from './controllers';

/** An in-memory backend whose "other process" writes straight into the store and reports it. */
class SharedBackend extends InMemoryBackend {
  listener: ((change: BackendChange) => void) | undefined;
  stopped = 0;

  watch(onChange: (change: BackendChange) => void): () => void {
    this.listener = onChange;
    return () => {
      this.stopped++;
      this.listener = undefined;
    };
  }

  /** Another writer: changes the store without this backend's controller knowing, then reports it. */
  writeElsewhere(path: string, value: unknown): void {
    const prevValue = this.read(path, undefined);
    this.write(path, value);
    this.listener?.({ path, kind: 'write', value, prevValue });
  }

  deleteElsewhere(path: string): void {
    const prevValue = this.read(path, undefined);
    this.delete(path);
    this.listener?.({ path, kind: 'delete', prevValue });
  }
}

forEachController('following the backend (S127)', (kind) => {
  it('turns others’ writes and deletes into notifications that bubble, with cause remote', async () => {
    const backend = new SharedBackend();
    const c = kind.make(backend);
    const seen: string[] = [];
    const causes: string[] = [];
    c.onTrace((record: TraceRecord) => {
      if (record.kind === 'set' || record.kind === 'delete') causes.push(`${record.kind} ${record.path} ${record.cause}`);
    });
    c.subscribe('/users', (event) => {
      seen.push(`${event.emittingPath}@${event.currentPath} ${JSON.stringify(event.prevValue)}→${JSON.stringify(event.newValue)}`);
    });
    await c.derive('/count', '/users', (users) => Object.keys((users ?? {}) as object).length);
    backend.writeElsewhere('/users/1', 'Alice');
    backend.writeElsewhere('/users/1', 'Alicia');
    backend.deleteElsewhere('/users/1');
    await c.followed();
    assert.deepEqual(seen, ['/users/1@/users undefined→"Alice"', '/users/1@/users "Alice"→"Alicia"', '/users/1@/users "Alicia"→undefined']);
    assert.ok(causes.includes('set /users/1 remote'));
    assert.ok(causes.includes('delete /users/1 remote'));
    assert.equal(await c.getState('/count'), 0);
  });

  it('a resync re-reads the subscribed paths under its root and notifies them', async () => {
    const backend = new SharedBackend();
    const c = kind.make(backend);
    const seen: string[] = [];
    c.subscribe('/a/b', (event) => {
      seen.push(`${event.emittingPath}=${JSON.stringify(event.newValue)}`);
    });
    backend.write('/a/b', 7);
    backend.listener?.({ path: '/', kind: 'resync' });
    await c.followed();
    assert.deepEqual(seen, ['/a/b=7']);
  });

  it('a callback that throws on a remote change goes to onFollowError; the next change is still delivered', async () => {
    const backend = new SharedBackend();
    const failures: string[] = [];
    const c = kind.make(backend, { onFollowError: (error, change) => failures.push(`${change.path}: ${error instanceof Error ? error.message : String(error)}`) });
    const seen: unknown[] = [];
    c.subscribe('/x', (event) => {
      if (event.newValue === 1) throw new Error('boom');
      seen.push(event.newValue);
    });
    backend.writeElsewhere('/x', 1);
    backend.writeElsewhere('/x', 2);
    await c.followed();
    assert.equal(failures.length, 1);
    assert.match(failures[0], /^\/x: .*boom/s);
    assert.deepEqual(seen, [2]);
  });

  it('followBackend: false does not watch; stopFollowing stops watching', async () => {
    const quiet = new SharedBackend();
    kind.make(quiet, { followBackend: false });
    assert.equal(quiet.listener, undefined);
    const followed = new SharedBackend();
    const c = kind.make(followed);
    assert.ok(followed.listener !== undefined);
    c.stopFollowing();
    assert.equal(followed.stopped, 1);
  });
});
