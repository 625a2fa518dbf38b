// Controllers follow a backend's reports of changes made by others (S126–S128): notifications with cause
// 'remote' and the old value the controller knew, a resync that re-reads what the controller serves and
// notifies the differences, failures to onFollowError, and followBackend: false.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { InMemoryBackend, type BackendChange, type TraceRecord } from '../../../extension/restate/index';
import { callbackFor } from './callback-for';
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

  it('a resync notifies what differs from what the controller knew, with its old values: changes, deletes, wildcards, derivation and tracker sources', async () => {
    const backend = new SharedBackend();
    backend.write('/users/1/name', 'Alice');
    backend.write('/users/2/name', 'Bob');
    backend.write('/users/3/name', 'Carol');
    backend.write('/keep', 1);
    backend.write('/gone', 'x');
    backend.write('/cfg', 1);
    backend.write('/watched', 'w');
    const c = kind.make(backend);
    const seen: string[] = [];
    const record = (event: { emittingPath: string; prevValue: unknown; newValue: unknown }): void => {
      seen.push(`${event.emittingPath} ${JSON.stringify(event.prevValue)}→${JSON.stringify(event.newValue)}`);
    };
    c.subscribe('/users/*/name', record);
    c.subscribe('/keep', record);
    c.subscribe('/gone', record);
    await c.derive('/double', '/cfg', (value) => (value as number) * 2);
    const tracked: unknown[] = [];
    await c.track(callbackFor(kind, function* (event) {
      tracked.push(yield event.getState('/watched'));
    }));
    const traced: TraceRecord[] = [];
    c.onTrace((entry) => traced.push(entry));
    // What the controller knows: it read these (the derivation and the tracker read their sources).
    await c.getState('/users');
    await c.getState('/keep');
    await c.getState('/gone');
    // Others change the storage while the change log is lost: nothing is reported but the resync.
    backend.write('/users/1/name', 'Alicia');
    backend.write('/users/2/name', 'Bob');
    backend.delete('/users/3');
    backend.delete('/gone');
    backend.write('/keep', 1);
    backend.write('/cfg', 5);
    backend.write('/watched', 'w2');
    backend.listener?.({ path: '/', kind: 'resync' });
    await c.followed();
    assert.deepEqual(seen.sort(), ['/gone "x"→undefined', '/users/1/name "Alice"→"Alicia"', '/users/3/name "Carol"→undefined']);
    assert.equal(await c.getState('/double'), 10, 'the derivation ran on its changed source');
    assert.deepEqual(tracked, ['w', 'w2'], 'the tracker ran on its changed read');
    const resyncs = traced.filter((entry) => entry.kind === 'resync');
    assert.equal(resyncs.length, 1);
    assert.equal(resyncs[0].cause, 'remote');
    assert.deepEqual(resyncs[0].kind === 'resync' ? [...resyncs[0].notified].sort() : [], ['/cfg', '/gone', '/users/1/name', '/users/3/name', '/watched']);
    const changes = traced.filter((entry) => entry.kind === 'set' || entry.kind === 'delete');
    assert.ok(changes.some((entry) => entry.kind === 'delete' && entry.path === '/gone' && entry.cause === 'remote'));
    // A second resync with nothing changed notifies nothing.
    seen.length = 0;
    backend.listener?.({ path: '/', kind: 'resync' });
    await c.followed();
    assert.deepEqual(seen, []);
  });

  it('the old value of a remote change comes from what the controller knew where the report does not carry it', async () => {
    const backend = new SharedBackend();
    backend.write('/a/b', 1);
    backend.write('/x', 1);
    const c = kind.make(backend);
    const seen: string[] = [];
    const record = (event: { emittingPath: string; prevValue: unknown; newValue: unknown }): void => {
      seen.push(`${event.emittingPath} ${JSON.stringify(event.prevValue)}→${JSON.stringify(event.newValue)}`);
    };
    c.subscribe('/a/b', record);
    c.subscribe('/x', record);
    assert.equal(await c.getState('/a/b'), 1);
    await c.setState('/x', 2);
    seen.length = 0;
    // A delete of an ancestor, reported with the ancestor's own old value (none), as the Redis log has it.
    backend.delete('/a');
    backend.listener?.({ path: '/a', kind: 'delete', prevValue: undefined });
    // Writes reported with no old value (as a cache reports a conflict): the controller's own write, then the first report.
    backend.write('/x', 3);
    backend.listener?.({ path: '/x', kind: 'write', value: 3 });
    backend.write('/x', 4);
    backend.listener?.({ path: '/x', kind: 'write', value: 4 });
    await c.followed();
    assert.deepEqual(seen, ['/a/b 1→undefined', '/x 2→3', '/x 3→4']);
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
