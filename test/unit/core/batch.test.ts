// batch (S113–S117): results and nesting, writes visible inside, one notification per path at the end,
// system callbacks once per flush, rollback in reverse order, and the sync/async rules.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import {
  InMemoryBackend,
  RestateBackendError,
  RestateCallbackError,
  RestateUsageError,
  type StateEvent,
  type TraceRecord,
} from '../../../extension/restate/index';
import { FlakyBackend } from '../../backends/helpers';
import { body, runBatch } from './batch-body';
import type { AnyController } from './controllers';
import { forEachController } from './controllers';

interface Seen {
  readonly at: string;
  readonly emittingPath: string;
  readonly prevValue: unknown;
  readonly newValue: unknown;
  readonly payload: unknown;
}

/** Subscribes a recorder at each pattern; every delivery lands in the returned list. */
function watch(c: AnyController, ...patterns: string[]): Seen[] {
  const seen: Seen[] = [];
  for (const pattern of patterns) {
    c.subscribe(pattern, (e: StateEvent<AnyController>) => {
      seen.push({ at: e.currentPath, emittingPath: e.emittingPath, prevValue: e.prevValue, newValue: e.newValue, payload: e.payload });
    });
  }
  return seen;
}

/** What calling `fn` throws or rejects with (undefined if it succeeds): synchronously for sync results. */
function settle(fn: () => unknown): unknown {
  try {
    const result = fn();
    return result instanceof Promise ? result.then(() => undefined, (e: unknown) => e) : undefined;
  } catch (error) {
    return error;
  }
}

class Boom extends Error {
  constructor() {
    super('boom');
  }
}

forEachController('S113 batch result and nesting', (kind) => {
  it('S113 batch returns what fn returns', async () => {
    const c = kind.make();
    assert.equal(await runBatch(kind, c, function* () {
      yield c.setState('/a', 1);
      return 'result';
    }), 'result');
    assert.deepEqual(await c.batch(() => ({ plain: true })), { plain: true });
  });

  it('S113 a nested batch joins the outer one: nothing is notified when it ends, its result comes back', async () => {
    const c = kind.make();
    const seen = watch(c, '/');
    let seenAfterInner = -1;
    await runBatch(kind, c, function* () {
      yield c.setState('/a', 1);
      const inner: unknown = yield c.batch(body(kind, function* () {
        yield c.setState('/b', 2);
        yield c.setState('/a', 3);
        return 'inner';
      }));
      assert.equal(inner, 'inner');
      seenAfterInner = seen.length;
      yield c.setState('/c', 4);
    });
    assert.equal(seenAfterInner, 0, 'the inner batch waits for the outer one');
    assert.deepEqual(seen.map((s) => [s.emittingPath, s.prevValue, s.newValue]), [['/a', undefined, 3], ['/b', undefined, 2], ['/c', undefined, 4]]);
  });
});

forEachController('S114 inside a batch', (kind) => {
  it('S114 writes, deletes and writeDefault reach the backend at once and reads see them', async () => {
    const c = kind.make();
    await c.setState('/gone', 'x');
    const reads: unknown[] = [];
    await runBatch(kind, c, function* () {
      yield c.setState('/a', 1);
      reads.push(yield c.getState('/a'));
      yield c.delState('/gone');
      reads.push(yield c.getState('/gone', { default: 'missing' }));
      yield c.getState('/d', { default: 'dflt', writeDefault: true });
      reads.push(yield c.getState('/d'));
      reads.push(yield c.getState('/'));
    });
    assert.deepEqual(reads, [1, 'missing', 'dflt', { a: 1, d: 'dflt' }]);
  });

  it('S114 notifications wait for the end of the outermost batch', async () => {
    const c = kind.make();
    const seen = watch(c, '/a', '/');
    const countsInside: number[] = [];
    await runBatch(kind, c, function* () {
      yield c.setState('/a', 1);
      countsInside.push(seen.length);
      yield c.ping('/a');
      yield c.delState('/a');
      yield c.setState('/a', 2);
      countsInside.push(seen.length);
    });
    assert.deepEqual(countsInside, [0, 0]);
    assert.deepEqual(seen.map((s) => s.at), ['/a', '/']);
  });

  it('S114 derived paths are stale inside a batch and fresh after it', async () => {
    const c = kind.make();
    await c.setState('/n', 1);
    await c.derive('/double', '/n', (v) => (typeof v === 'number' ? v * 2 : null));
    const inside: unknown[] = [];
    await runBatch(kind, c, function* () {
      yield c.setState('/n', 5);
      inside.push(yield c.getState('/double'));
    });
    assert.deepEqual(inside, [2]);
    assert.equal(await c.getState('/double'), 10);
  });
});

forEachController('S115 the flush', (kind) => {
  it('S115 each path is notified once: first prevValue, last newValue, last payload', async () => {
    const c = kind.make();
    await c.setState('/a', 0);
    const seen = watch(c, '/a');
    await runBatch(kind, c, function* () {
      yield c.setState('/a', 1, { payload: 'one' });
      yield c.setState('/a', 2, { payload: 'two' });
      yield c.setState('/a', 3, { payload: 'three' });
    });
    assert.deepEqual(seen, [{ at: '/a', emittingPath: '/a', prevValue: 0, newValue: 3, payload: 'three' }]);
  });

  it('S115 paths are notified in order of first change, and each bubbles as usual', async () => {
    const c = kind.make();
    const seen = watch(c, '/x/*', '/');
    await runBatch(kind, c, function* () {
      yield c.setState('/x/b', 1);
      yield c.setState('/y', 2);
      yield c.setState('/x/a', 3);
      yield c.setState('/x/b', 4);
    });
    assert.deepEqual(seen.map((s) => `${s.emittingPath}@${s.at}`), ['/x/b@/x/b', '/x/b@/', '/y@/', '/x/a@/x/a', '/x/a@/']);
  });

  it('S115 a path whose end value equals its start is not notified, unless it was pinged', async () => {
    const c = kind.make();
    await c.setState('/same', { v: 1 });
    await c.setState('/pinged', 1);
    const seen = watch(c, '/same', '/pinged');
    await runBatch(kind, c, function* () {
      yield c.setState('/same', { v: 2 });
      yield c.setState('/same', { v: 1 });
      yield c.setState('/pinged', 2);
      yield c.setState('/pinged', 1);
      yield c.ping('/pinged', { payload: 'ping' });
    });
    assert.deepEqual(seen, [{ at: '/pinged', emittingPath: '/pinged', prevValue: 1, newValue: 1, payload: 'ping' }]);
  });

  it('S115 skipNotify changes are not notified', async () => {
    const c = kind.make();
    const seen = watch(c, '/');
    await runBatch(kind, c, function* () {
      yield c.setState('/quiet', 1, { skipNotify: true });
      yield c.setState('/loud', 1);
      yield c.setState('/gone', 1, { skipNotify: true });
      yield c.delState('/gone', { skipNotify: true });
    });
    assert.deepEqual(seen.map((s) => s.emittingPath), ['/loud']);
    assert.equal(await c.getState('/quiet'), 1);
  });

  it('S115 S28 a delete in a batch notifies subscribed descendants at their own level, then bubbles', async () => {
    const c = kind.make();
    await c.setState('/t/x', 'x');
    await c.setState('/t/y/z', 'z');
    const seen = watch(c, '/t/x', '/t/y/z', '/t', '/');
    await runBatch(kind, c, function* () {
      yield c.delState('/t', { payload: 'del' });
    });
    assert.deepEqual(seen.map((s) => `${s.emittingPath}@${s.at}`), ['/t/y/z@/t/y/z', '/t/x@/t/x', '/t@/t', '/t@/']);
    assert.deepEqual(seen[0], { at: '/t/y/z', emittingPath: '/t/y/z', prevValue: 'z', newValue: undefined, payload: 'del' });
    assert.deepEqual(seen[2].prevValue, { x: 'x', y: { z: 'z' } });
    assert.equal(seen[2].newValue, undefined);
  });

  it('S115 S28 a descendant of a deleted path that is then written again is an ordinary change: it bubbles', async () => {
    const c = kind.make();
    await c.setState('/t/x', 'old');
    const seen = watch(c, '/t/x', '/');
    await runBatch(kind, c, function* () {
      yield c.delState('/t');
      yield c.setState('/t/x', 'new');
    });
    assert.deepEqual(seen.map((s) => [s.emittingPath, s.at, s.prevValue, s.newValue]), [
      ['/t/x', '/t/x', 'old', 'new'],
      ['/t/x', '/', 'old', 'new'],
      ['/t', '/', { x: 'old' }, { x: 'new' }],
    ]);
  });

  it('S115 S34 ten writes feeding one derivation run it once for the whole flush', async () => {
    const c = kind.make();
    let runs = 0;
    await c.deriveMany('/sum', ['/src/*'], () => ++runs);
    runs = 0;
    await runBatch(kind, c, function* () {
      for (let i = 0; i < 10; i++) yield c.setState(`/src/${i}`, i);
    });
    assert.equal(runs, 1);
  });

  it('S115 S34 a tracker reading several written paths runs once for the whole flush', async () => {
    const c = kind.make();
    let runs = 0;
    await c.track(kind.isAsync
      ? async (e) => {
        runs++;
        await e.getState('/a');
        await e.getState('/b');
      }
      : (e) => {
        runs++;
        void e.getState('/a');
        void e.getState('/b');
      });
    runs = 0;
    await runBatch(kind, c, function* () {
      yield c.setState('/a', 1);
      yield c.setState('/b', 2);
      yield c.setState('/a', 3);
    });
    assert.equal(runs, 1);
  });

  it('S115 no glitch: a deriveMany over /a and /b only ever sees consistent pairs', async () => {
    //   /a ─┐
    //       ├─► derive:/pair ──► /pair      invariant: a === b
    //   /b ─┘
    const c = kind.make();
    await c.setState('/a', 1);
    await c.setState('/b', 1);
    const pairs: unknown[][] = [];
    await c.deriveMany('/pair', ['/a', '/b'], (data) => {
      const pair = [data.get('/a'), data.get('/b')];
      pairs.push(pair);
      return pair;
    });
    await runBatch(kind, c, function* () {
      yield c.setState('/a', 2);
      yield c.setState('/b', 2);
    });
    assert.deepEqual(pairs, [[1, 1], [2, 2]]);
    assert.deepEqual(await c.getState('/pair'), [2, 2]);
  });

  it('S115 S45 callback failures in the flush are collected and thrown by batch; the writes stay', async () => {
    const c = kind.make();
    let okRuns = 0;
    c.subscribe('/a', () => {
      throw new Boom();
    });
    c.subscribe('/b', () => {
      okRuns++;
    });
    const error = await Promise.resolve()
      .then(() => runBatch(kind, c, function* () {
        yield c.setState('/a', 1);
        yield c.setState('/b', 1);
      }))
      .then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof RestateCallbackError);
    assert.equal(error.failures.length, 1);
    assert.equal(error.failures[0].path, '/a');
    assert.equal(okRuns, 1);
    assert.equal(await c.getState('/a'), 1);
  });
});

forEachController('S116 rollback', (kind) => {
  async function seed(c: AnyController): Promise<void> {
    await c.setState('/leaf', 'old');
    await c.setState('/tree', 'own');
    await c.setState('/tree/x', 1);
    await c.setState('/tree/y/z', 2);
    await c.setState('/bare/child', 3);
  }

  it('S116 when fn throws, every write and delete is undone, nothing is notified and the error is rethrown', async () => {
    const c = kind.make();
    await seed(c);
    const before = await c.getState('/');
    let runs = 0;
    await c.derive('/derived', '/tree', () => ++runs);
    runs = 0;
    const seen = watch(c, '/', '/tree/*', '/tree/y/z');
    const boom = new Boom();
    await assert.rejects(runBatch(kind, c, function* () {
      yield c.setState('/leaf', 'new');                    // a leaf overwritten
      yield c.setState('/fresh/deep/path', 1);             // a path created with missing ancestors
      yield c.setState('/tree', { replaced: true });       // a write over a node with children
      yield c.delState('/tree/y');                         // a subtree deleted
      yield c.setState('/tree/y', 'back');                 // ... and re-created as a leaf
      yield c.delState('/bare');                           // a node without own value deleted
      yield c.setState('/bare', 'now a value');
      yield c.delState('/leaf');                           // a path written then deleted
      yield c.ping('/tree/x');
      throw boom;
    }), (error) => error === boom);
    assert.deepEqual(await c.getState('/'), { ...(before as object), derived: 1 });
    assert.deepEqual(seen, []);
    assert.equal(runs, 0);
    assert.equal(await c.getState('/fresh'), undefined, 'ancestors the batch created are gone too');
    assert.equal(await c.getState('/tree/y/z'), 2);
  });

  it('S116 undo runs in reverse order: several writes to one path end at the value before the first', async () => {
    const c = kind.make();
    await c.setState('/a', 'start');
    await assert.rejects(runBatch(kind, c, function* () {
      yield c.setState('/a', 'one');
      yield c.delState('/a');
      yield c.setState('/a', 'two');
      yield c.setState('/a/child', 'c');
      yield c.setState('/a', 'three');
      throw new Boom();
    }), Boom);
    assert.equal(await c.getState('/a'), 'start');
  });

  it('S116 rollback trace records name each undone path, newest first, with cause rollback', async () => {
    const c = kind.make();
    await c.setState('/b', 'b');
    const records: TraceRecord[] = [];
    c.onTrace((r) => records.push(r));
    await assert.rejects(runBatch(kind, c, function* () {
      yield c.setState('/a', 1);
      yield c.delState('/b');
      yield c.setState('/c', 3);
      throw new Boom();
    }), Boom);
    const writes = records.filter((r) => r.kind === 'set' || r.kind === 'delete');
    assert.ok(writes.every((r) => (r.kind === 'set' || r.kind === 'delete') && r.batched && !r.notified));
    const rollbacks = records.filter((r) => r.kind === 'rollback');
    assert.deepEqual(rollbacks.map((r) => [r.kind === 'rollback' ? r.path : '', r.cause]), [['/c', 'rollback'], ['/b', 'rollback'], ['/a', 'rollback']]);
    assert.ok(records.indexOf(rollbacks[0]) > records.indexOf(writes[writes.length - 1]));
  });

  it('S116 a nested batch that throws undoes only its own writes; the outer batch goes on', async () => {
    const c = kind.make();
    await c.setState('/shared', 0);
    const seen = watch(c, '/');
    await runBatch(kind, c, function* () {
      yield c.setState('/outer', 1);
      yield c.setState('/shared', 1);
      yield c.ping('/pinged-before');
      const caught: unknown = yield settle(() => c.batch(body(kind, function* () {
        yield c.setState('/inner', 2);
        yield c.setState('/shared', 2);
        yield c.ping('/outer');
        throw new Boom();
      })));
      assert.ok(caught instanceof Boom);
      assert.equal(yield c.getState('/shared'), 1);
      assert.equal(yield c.getState('/inner'), undefined);
      yield c.setState('/after', 3);
    });
    assert.deepEqual(seen.map((s) => [s.emittingPath, s.prevValue, s.newValue]), [['/outer', undefined, 1], ['/shared', 0, 1], ['/pinged-before', undefined, undefined], ['/after', undefined, 3]]);
  });

  it('S116 a write over a value that is not an object lists no children to remember what it overwrites; over a node with children it does', async () => {
    const backend = new InMemoryBackend();
    const listed: string[] = [];
    const listChildren = backend.listChildren.bind(backend);
    backend.listChildren = (path: string) => {
      listed.push(path);
      return listChildren(path);
    };
    const c = kind.make(backend);
    await c.setState('/leaf', [1, 2]);
    await c.setState('/tree', 'own');
    await c.setState('/tree/x', 1);
    listed.length = 0;
    await assert.rejects(runBatch(kind, c, function* () {
      yield c.setState('/leaf', 'new');
      yield c.setState('/tree', 'replaced');
      throw new Boom();
    }), Boom);
    assert.deepEqual(listed.filter((path) => path === '/leaf' || path === '/tree'), ['/tree']);
    assert.deepEqual(await c.getState('/leaf'), [1, 2]);
    assert.deepEqual(await c.getState('/tree'), { '/': 'own', x: 1 });
  });

  it('S116 a failed undo throws RestateBackendError "rollback incomplete" with the batch error as cause', async () => {
    const flaky = new FlakyBackend();
    const c = kind.make(flaky);
    await c.setState('/a', 'old');
    const boom = new Boom();
    const error = await runBatch(kind, c, function* () {
      yield c.setState('/a', 'new');
      flaky.failing = true;
      throw boom;
    }).then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof RestateBackendError, `got ${String(error)}`);
    assert.match(error.message, /rollback incomplete/);
    assert.equal(error.cause, boom);
  });
});

forEachController('S117 sync and async batches', (kind) => {
  if (!kind.isAsync) {
    it('S117 ControllerSync.batch with fn returning a thenable rolls back and throws RestateUsageError', () => {
      const c = kind.make();
      const seen = watch(c, '/');
      c.setState('/a', 'old');
      seen.length = 0;
      assert.throws(() => c.batch(() => {
        c.setState('/a', 'new');
        c.setState('/b', 1);
        return Promise.reject(new Boom());
      }), RestateUsageError);
      assert.equal(c.getState('/a'), 'old');
      assert.equal(c.getState('/b'), undefined);
      assert.deepEqual(seen, []);
    });
    return;
  }

  it('S117 an async batch covers only its own async context: a concurrent unrelated write is notified at once', async () => {
    const c = kind.make();
    const seen = watch(c, '/');
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const batch = c.batch(async () => {
      await c.setState('/inside', 1);
      await gate;
      await c.setState('/inside', 2);
    });
    await c.setState('/outside', 'now');
    assert.deepEqual(seen.map((s) => s.emittingPath), ['/outside']);
    release();
    await batch;
    assert.deepEqual(seen.map((s) => [s.emittingPath, s.newValue]), [['/outside', 'now'], ['/inside', 2]]);
  });

  it('S117 S116 a rejected async batch undoes its writes and rethrows the rejection', async () => {
    const c = kind.make(new InMemoryBackend());
    await c.setState('/a', 'old');
    const boom = new Boom();
    await assert.rejects(c.batch(async () => {
      await c.setState('/a', 'new');
      await new Promise((resolve) => setTimeout(resolve, 1));
      throw boom;
    }), (e) => e === boom);
    assert.equal(await c.getState('/a'), 'old');
  });
});
