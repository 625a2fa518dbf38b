// RedisBackend against a real redis-server started for these tests: the shared conformance suite, the key
// layout a user reads with redis-cli, atomic subtree operations, the change log and its follower.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ControllerAsync, MISSING, RestateBackendError, RestateNameError, RestateSerializeError, RestateValueError, type TraceRecord } from '../../../extension/restate/index';
import { RedisBackend, type BackendChange } from '../../../extension/restate/redis';
import { runConformance } from '../../backends/conformance';
import { startRedisServer, type RedisServer } from '../../backends/redisServer';
import { DELETE_SCRIPT, WRITE_SCRIPT } from '../../../extension/restate/backends/redis/scripts';
import { until } from '../until';

let server: RedisServer;
let trees = 0;
const opened: RedisBackend[] = [];

function backend(prefix = `t${++trees}`): RedisBackend {
  const made = new RedisBackend({ url: server.url, prefix, onWarning: () => undefined });
  opened.push(made);
  return made;
}

before(async () => {
  server = await startRedisServer();
});

after(async () => {
  await Promise.all(opened.map((b) => b.close()));
  await server.dispose();
});

runConformance('RedisBackend', async () => {
  const prefix = `conformance${++trees}`;
  const b = backend(prefix);
  return {
    backend: b,
    reopen: async () => backend(prefix),
    cleanup: async () => {
      await b.delete('/');
    },
  };
}, { persistent: true, rejectsUnserializable: true });


describe('RedisBackend', () => {
  it('keeps a tree under its prefix, apart from other trees on the same server', async () => {
    const a = backend('shared-a');
    const b = backend('shared-b');
    await a.write('/users/1', { name: 'Alice' });
    await b.write('/users/1', 'other tree');
    assert.deepEqual(await a.read('/users'), { 1: { name: 'Alice' } });
    assert.deepEqual(await b.read('/users'), { 1: 'other tree' });
    await a.delete('/');
    assert.equal(await a.read('/', MISSING), MISSING);
    assert.deepEqual(await b.read('/users/1'), 'other tree');
  });

  it('refuses values nested deeper than 512 levels with a RestateSerializeError naming the path', async () => {
    const b = backend();
    let deep: unknown = 1;
    for (let i = 0; i < 600; i++) deep = [deep];
    await assert.rejects(() => b.write('/deep', deep), (error: unknown) => error instanceof RestateSerializeError && error.path === '/deep' && /512/.test(error.message));
    assert.equal(await b.read('/deep', MISSING), MISSING);
  });

  it('reports other clients’ writes and deletes through watch, in order, and not its own', async () => {
    const mine = backend('watched');
    const theirs = backend('watched');
    const seen: BackendChange[] = [];
    const stop = mine.watch((change) => seen.push(change));
    try {
      // Once watching() resolves, the very next write of another client is reported.
      await mine.watching();
      await mine.write('/own', 1);
      await theirs.write('/a/b', { n: 1 });
      await theirs.write('/a/b', { n: 2 });
      await theirs.delete('/a');
      await until(() => (seen.length >= 3 ? true : undefined), 'three changes');
      assert.deepEqual(seen, [
        { path: '/a/b', kind: 'write', value: { n: 1 }, prevValue: undefined },
        { path: '/a/b', kind: 'write', value: { n: 2 }, prevValue: { n: 1 } },
        { path: '/a', kind: 'delete', prevValue: undefined },
      ]);
    } finally {
      stop();
    }
  });

  it('S126 watching() resolves once watch follows the log: a write right after it is reported', async () => {
    const mine = backend('watching');
    const theirs = backend('watching');
    // Both connected already, so that the other client's write is as quick as it gets.
    await Promise.all([mine.read('/'), theirs.read('/')]);
    const seen: BackendChange[] = [];
    const stop = mine.watch((change) => seen.push(change));
    try {
      await mine.watching();
      await theirs.write('/first', 1);
      await until(() => (seen.length >= 1 ? true : undefined), 'the write made right after watching()');
      assert.deepEqual(seen, [{ path: '/first', kind: 'write', value: 1, prevValue: undefined }]);
    } finally {
      stop();
    }
    // A stopped watch no longer holds watching() up.
    await mine.watching();
  });

  it('a follower far behind gets every change of its backlog, in order, however many replies it takes', async () => {
    const mine = backend('backlog');
    const seen: BackendChange[] = [];
    const stop = mine.watch((change) => seen.push(change));
    const { createClient } = await import('@redis/client');
    const raw = createClient({ url: server.url });
    await raw.connect();
    try {
      await mine.watching();
      // One transaction: 2,500 entries land in the log at once, more than one read of it takes.
      const keys = ['values', 'children', 'log', 'versions'].map((name) => `restate:{backlog}:${name}`);
      const multi = raw.multi();
      for (let i = 0; i < 2_500; i++) multi.addCommand(['EVAL', WRITE_SCRIPT, '4', ...keys, '/n', String(i), 'elsewhere', '10000', '']);
      await multi.exec();
      await until(() => (seen.length >= 2_500 ? true : undefined), '2,500 changes', 10_000);
      assert.equal(seen.length, 2_500);
      seen.forEach((change, i) => assert.deepEqual(change, { path: '/n', kind: 'write', value: i, prevValue: i === 0 ? undefined : i - 1 }));
    } finally {
      stop();
      await raw.close();
    }
  });

  it('a key under the prefix that holds something else gives a typed error naming the prefix', async () => {
    const b = backend('garbage');
    await b.write('/fine', 1);
    const other = new RedisBackend({ url: server.url, prefix: 'garbage-helper', onWarning: () => undefined });
    opened.push(other);
    // Another client overwrites the tree's children index with a plain string.
    const { createClient } = await import('@redis/client');
    const raw = createClient({ url: server.url });
    await raw.connect();
    try {
      await raw.sendCommand(['SET', 'restate:{garbage}:children', 'not a sorted set']);
      await assert.rejects(() => b.listChildren('/'), (error: unknown) => error instanceof RestateBackendError && /garbage/.test(error.message));
    } finally {
      await raw.close();
    }
  });

  it('an unreachable server gives a RestateBackendError naming the address, within the connect timeout', async () => {
    const b = new RedisBackend({ url: 'redis://user:secret@127.0.0.1:1', prefix: 'nowhere', connectTimeoutMs: 500 });
    opened.push(b);
    const started = Date.now();
    await assert.rejects(() => b.read('/x'), (error: unknown) => error instanceof RestateBackendError && /127\.0\.0\.1:1/.test(error.message) && !/secret/.test(error.message));
    assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms`);
  });
});

describe('RedisBackend against its server', () => {
  it('warns when the server may evict keys, and refuses to connect when asked to', async () => {
    const evicting = await startRedisServer(['--maxmemory-policy', 'allkeys-lru']);
    try {
      const warnings: string[] = [];
      const warned = new RedisBackend({ url: evicting.url, prefix: 'evict', onWarning: (message) => warnings.push(message) });
      await warned.write('/x', 1);
      await warned.close();
      assert.equal(warnings.length, 1);
      assert.match(warnings[0], /allkeys-lru.*noeviction/);
      const refusing = new RedisBackend({ url: evicting.url, prefix: 'evict', evictionPolicy: 'refuse' });
      await assert.rejects(() => refusing.read('/x'), (error: unknown) => error instanceof RestateBackendError && /allkeys-lru/.test(error.message));
      await refusing.close();
    } finally {
      await evicting.dispose();
    }
  });

  it('a server that dies: writes reject with a typed error, the backend reconnects when it returns, and the follower reports a resync', async () => {
    const dying = await startRedisServer();
    const b = new RedisBackend({ url: dying.url, prefix: 'dies', onWarning: () => undefined });
    const other = new RedisBackend({ url: dying.url, prefix: 'dies', onWarning: () => undefined });
    const seen: BackendChange[] = [];
    const stop = b.watch((change) => seen.push(change));
    try {
      await b.write('/before', 1);
      await new Promise((resolve) => setTimeout(resolve, 200));
      await dying.stop({ crash: true });
      await assert.rejects(() => b.write('/during', 2), (error: unknown) => error instanceof RestateBackendError && error.message.includes(String(dying.port)));
      await dying.restart();
      // The new server lost everything (no persistence): the follower must not pretend it missed nothing.
      await until(() => (seen.some((change) => change.kind === 'resync') ? true : undefined), 'a resync after the restart', 10_000);
      let written = false;
      const deadline = Date.now() + 10_000;
      while (!written && Date.now() < deadline) {
        try {
          await b.write('/after', 3);
          written = true;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      assert.ok(written, 'the backend did not reconnect');
      await other.write('/fromOther', 4);
      await until(() => (seen.some((change) => change.path === '/fromOther') ? true : undefined), 'the change feed resumed');
      assert.equal(await b.read('/after'), 3);
    } finally {
      stop();
      await b.close();
      await other.close();
      await dying.dispose();
    }
  });
});

describe('Controllers over RedisBackend follow other processes (S127)', () => {
  it("a second controller on the same tree sees the first one's writes through subscribe and derive, with cause remote", async () => {
    const a = new ControllerAsync(backend('follow'));
    const b = new ControllerAsync(backend('follow'));
    const seen: string[] = [];
    const traced: TraceRecord[] = [];
    b.onTrace((record) => traced.push(record));
    b.subscribe('/users', (event) => {
      seen.push(`${event.emittingPath} ${JSON.stringify(event.prevValue)}→${JSON.stringify(event.newValue)}`);
    });
    await b.derive('/stats/count', '/users', (users) => Object.keys((users ?? {}) as object).length);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await a.setState('/users/1', { name: 'Alice' });
    await a.setState('/users/1', { name: 'Alicia' });
    await until(() => (seen.length >= 2 ? true : undefined), 'two notifications in the second controller');
    assert.deepEqual(seen.slice(0, 2), ['/users/1 undefined→{"name":"Alice"}', '/users/1 {"name":"Alice"}→{"name":"Alicia"}']);
    await b.followed();
    assert.equal(await b.getState('/stats/count'), 1);
    assert.ok(traced.some((record) => record.kind === 'set' && record.path === '/users/1' && record.cause === 'remote'));
    // The derivation's own write in b reaches a as a remote change too, and is equal to what a computes: nothing loops.
    assert.equal(await a.getState('/stats/count'), 1);
    a.stopFollowing();
    b.stopFollowing();
  });

  it('a parent deleted by another client notifies the subscribed child with the old value this controller read', async () => {
    const a = new ControllerAsync(backend('parent-delete'));
    const b = new ControllerAsync(backend('parent-delete'));
    const seen: string[] = [];
    b.subscribe('/a/b', (event) => {
      seen.push(`${event.emittingPath} ${JSON.stringify(event.prevValue)}→${JSON.stringify(event.newValue)}`);
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await a.setState('/a/b', 1);
    await until(() => (seen.length >= 1 ? true : undefined), 'the write in the second controller');
    await b.followed();
    assert.equal(await b.getState('/a/b'), 1);
    seen.length = 0;
    // The change log holds /a's own old value, which it never had: only what b read tells /a/b's old value.
    await a.delState('/a');
    await until(() => (seen.length >= 1 ? true : undefined), 'the delete in the second controller');
    assert.deepEqual(seen, ['/a/b 1→undefined']);
    a.stopFollowing();
    b.stopFollowing();
  });

  it('after a gap in the change log, a resync notifies exactly what changed since this controller last knew it', async () => {
    const writer = backend('gap');
    await writer.write('/users/1/name', 'Alice');
    await writer.write('/users/2/name', 'Bob');
    await writer.write('/users/3/name', 'Carol');
    await writer.write('/keep', 1);
    await writer.write('/gone', 'x');
    await writer.write('/cfg', 1);
    const b = new ControllerAsync(backend('gap'));
    const seen: string[] = [];
    const record = (event: { emittingPath: string; prevValue: unknown; newValue: unknown }): void => {
      seen.push(`${event.emittingPath} ${JSON.stringify(event.prevValue)}→${JSON.stringify(event.newValue)}`);
    };
    b.subscribe('/users/*/name', record);
    b.subscribe('/keep', record);
    b.subscribe('/gone', record);
    await b.derive('/double', '/cfg', (value) => (value as number) * 2);
    await b.getState('/users');
    await b.getState('/keep');
    await b.getState('/gone');
    const traced: TraceRecord[] = [];
    b.onTrace((entry) => traced.push(entry));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const { createClient } = await import('@redis/client');
    const raw = createClient({ url: server.url });
    await raw.connect();
    try {
      // In one transaction: cut the follower's connection, change the tree as another client would, trim the log.
      const reader = String(await raw.sendCommand(['CLIENT', 'LIST'])).split('\n').find((line) => /\bcmd=xread\b/.test(line));
      const readerId = reader === undefined ? undefined : /\bid=(\d+)/.exec(reader)?.[1];
      assert.ok(readerId !== undefined, 'the follower is reading the change log');
      const keys = ['values', 'children', 'log', 'versions'].map((name) => `restate:{gap}:${name}`);
      const write = (path: string, value: unknown): string[] => ['EVAL', WRITE_SCRIPT, '4', ...keys, path, JSON.stringify(value), 'elsewhere', '10000', ''];
      const remove = (path: string): string[] => ['EVAL', DELETE_SCRIPT, '4', ...keys, path, 'elsewhere', '10000', ''];
      await raw
        .multi()
        .addCommand(['CLIENT', 'KILL', 'ID', readerId])
        .addCommand(write('/users/1/name', 'Alicia'))
        .addCommand(write('/users/2/name', 'Bob'))
        .addCommand(remove('/users/3'))
        .addCommand(remove('/gone'))
        .addCommand(write('/keep', 1))
        .addCommand(write('/cfg', 5))
        .addCommand(['XTRIM', 'restate:{gap}:log', 'MAXLEN', '0'])
        .exec();
    } finally {
      await raw.close();
    }
    await until(() => (traced.some((entry) => entry.kind === 'resync') ? true : undefined), 'a resync', 10_000);
    await b.followed();
    assert.deepEqual(seen.sort(), ['/gone "x"→undefined', '/users/1/name "Alice"→"Alicia"', '/users/3/name "Carol"→undefined']);
    assert.equal(await b.getState('/double'), 10);
    assert.ok(traced.some((entry) => entry.kind === 'delete' && entry.path === '/gone' && entry.cause === 'remote'));
    b.stopFollowing();
  });

  it('sends its scripts again with their source when the server has forgotten them', async () => {
    const b = backend('flushed');
    await b.write('/a/b', 1);
    const { createClient } = await import('@redis/client');
    const raw = createClient({ url: server.url });
    await raw.connect();
    try {
      await raw.sendCommand(['SCRIPT', 'FLUSH']);
      await b.write('/a/c', 2);
      await raw.sendCommand(['SCRIPT', 'FLUSH']);
      assert.deepEqual(await b.read('/a'), { b: 1, c: 2 });
      await raw.sendCommand(['SCRIPT', 'FLUSH']);
      await b.delete('/a/b');
      assert.deepEqual(await b.read('/a'), { c: 2 });
    } finally {
      await raw.close();
    }
  });

  it('checks every write of a path it has written before: the value each time, names again once it forgot them', async () => {
    const b = backend('checked');
    await b.write('/ok/x', 1);
    await assert.rejects(() => b.write('/ok/x', undefined), (error: unknown) => error instanceof RestateValueError && error.path === '/ok/x');
    await assert.rejects(() => b.write('/ok/x', MISSING), (error: unknown) => error instanceof RestateValueError && error.path === '/ok/x');
    await assert.rejects(() => b.write('/ok/x', () => 1), (error: unknown) => error instanceof RestateSerializeError && error.path === '/ok/x');
    for (let attempt = 0; attempt < 2; attempt++) {
      await assert.rejects(() => b.write('/ok/a:b', 1), (error: unknown) => error instanceof RestateNameError && /a:b/.test(error.message));
      await assert.rejects(() => b.write('/ok/con', 1), (error: unknown) => error instanceof RestateNameError && /device/.test(error.message));
    }
    // More paths than it remembers as checked: the first ones are checked again, and a bad name is still refused.
    await Promise.all(Array.from({ length: 10_050 }, (_, i) => b.write(`/many/${i}`, i)));
    await b.write('/ok/x', 2);
    await assert.rejects(() => b.write('/ok/nul', 1), (error: unknown) => error instanceof RestateNameError);
    assert.deepEqual(await b.read('/ok'), { x: 2 });
    assert.equal(await b.read('/many/10049'), 10049);
  });

  it('overwriting a value leaves the children index as it was, and the tree reads and deletes as before', async () => {
    const b = backend('overwritten');
    const { createClient } = await import('@redis/client');
    const raw = createClient({ url: server.url });
    await raw.connect();
    try {
      const index = async (): Promise<string[]> => ((await raw.sendCommand(['ZRANGE', 'restate:{overwritten}:children', '0', '-1'])) as string[]).map(String);
      await b.write('/a/b/c', 1);
      await b.write('/a/d', 2);
      const linked = await index();
      assert.deepEqual(linked, ['/\u0000a', '/a\u0000b', '/a\u0000d', '/a/b\u0000c']);
      await b.write('/a/b/c', { v: 3 });
      await b.write('/a/d', 4);
      assert.deepEqual(await index(), linked);
      assert.deepEqual(await b.read('/a'), { b: { c: { v: 3 } }, d: 4 });
      await b.delete('/a/b');
      await b.write('/a/b/c', 5);
      assert.deepEqual(await index(), linked, 'a node written again after its subtree went is linked again');
      await b.delete('/a/b/c');
      await b.delete('/a/d');
      assert.deepEqual(await index(), [], 'deletes prune the ancestors they leave empty');
      assert.equal(await b.read('/a', MISSING), MISSING);
    } finally {
      await raw.close();
    }
  });

  it('followBackend: false follows nothing', async () => {
    const a = new ControllerAsync(backend('unfollowed'));
    const b = new ControllerAsync(backend('unfollowed'), { followBackend: false });
    const seen: string[] = [];
    b.subscribe('/x', (event) => {
      seen.push(event.emittingPath);
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await a.setState('/x', 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(seen, []);
    assert.equal(await b.getState('/x'), 1, 'reads still see the shared tree');
    a.stopFollowing();
  });
});
