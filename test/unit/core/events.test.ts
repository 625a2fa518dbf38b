// StateEvent fields, stopBubbling, event helpers, callback errors (S40–S45) and delete notifications (S28).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { InMemoryBackend, RestateCallbackError, RestateCycleError } from '../../../extension/restate/index';
import type { Backend, CallbackFailure } from '../../../extension/restate/index';
import { forEachController } from './controllers';
import type { AnyEvent } from './callback-for';

interface Seen {
  tag: string;
  currentPath: string;
  emittingPath: string;
  prevValue: unknown;
  newValue: unknown;
  payload: unknown;
}

/** A callback that records what the event said. */
function witness(seen: Seen[], tag: string): (event: AnyEvent) => void {
  return (event) => {
    seen.push({
      tag,
      currentPath: event.currentPath,
      emittingPath: event.emittingPath,
      prevValue: event.prevValue,
      newValue: event.newValue,
      payload: event.payload,
    });
  };
}

/** A callback that logs `tag@currentPath`. */
function recorder(log: string[], tag: string): (event: AnyEvent) => void {
  return (event) => {
    log.push(`${tag}@${event.currentPath}`);
  };
}

function failing(error: unknown): () => never {
  return () => {
    throw error;
  };
}

/** Asserts that `err` is a RestateCallbackError whose failures are exactly `expected`, in order. */
function assertFailures(err: unknown, expected: CallbackFailure[]): true {
  assert.ok(err instanceof RestateCallbackError, `expected a RestateCallbackError, got ${String(err)}`);
  assert.equal(err.code, 'callback');
  assert.deepEqual(
    err.failures.map((f) => ({ callbackId: f.callbackId, path: f.path, emittingPath: f.emittingPath, error: f.error })),
    expected,
  );
  assert.equal(err.errors.length, expected.length);
  expected.forEach((failure, i) => assert.equal(err.errors[i], failure.error));
  return true;
}

/** A backend that counts how often the controller calls it. */
class CountingBackend implements Backend {
  readonly inner = new InMemoryBackend();
  calls = 0;

  read(...args: [path: string, dflt?: unknown]): unknown {
    this.calls++;
    return args.length < 2 ? this.inner.read(args[0]) : this.inner.read(args[0], args[1]);
  }

  write(path: string, value: unknown): void {
    this.calls++;
    this.inner.write(path, value);
  }

  delete(path: string): void {
    this.calls++;
    this.inner.delete(path);
  }

  listChildren(path: string): string[] {
    this.calls++;
    return this.inner.listChildren(path);
  }
}

forEachController('event fields', (kind) => {
  it('S40 every field of a set event, at every level', async () => {
    const c = kind.make();
    const seen: Seen[] = [];
    const controllers: unknown[] = [];
    const bubbling: boolean[] = [];
    await c.setState('/a/b/c', 1);
    for (const path of ['/a/b/c', '/a/b', '/a', '/']) {
      c.subscribe(path, witness(seen, path));
      c.subscribe(path, (event) => {
        controllers.push(event.controller);
        bubbling.push(event.bubbling);
      });
    }
    const payload = { reason: 'test' };
    await c.setState('/a/b/c', 2, { payload });
    assert.deepEqual(
      seen,
      ['/a/b/c', '/a/b', '/a', '/'].map((level) => ({
        tag: level,
        currentPath: level,
        emittingPath: '/a/b/c',
        prevValue: 1,
        newValue: 2,
        payload,
      })),
    );
    assert.ok(seen.every((s) => s.payload === payload), 'the payload is passed as is');
    assert.ok(controllers.every((controller) => controller === c));
    assert.deepEqual(bubbling, [true, true, true, true]);
  });

  it('S41 currentPath is right at grandparent levels and above, for a deep write', async () => {
    const c = kind.make();
    const seen: Seen[] = [];
    const levels = ['/1/2/3/4/5', '/1/2/3/4', '/1/2/3', '/1/2', '/1', '/'];
    for (const level of levels) c.subscribe(level, witness(seen, level));
    await c.setState('/1/2/3/4/5', 'x', { payload: 7 });
    assert.deepEqual(
      seen.map((s) => s.currentPath),
      levels,
    );
    assert.deepEqual(
      seen.map((s) => s.payload),
      levels.map(() => 7),
    );
  });

  it('S40 a delete event has newValue undefined and the old value as prevValue, at every level', async () => {
    const c = kind.make();
    const seen: Seen[] = [];
    await c.setState('/a/b', { deep: true });
    c.subscribe('/a/b', witness(seen, 'ab'));
    c.subscribe('/', witness(seen, 'root'));
    await c.delState('/a/b', { payload: 'bye' });
    assert.deepEqual(seen, [
      { tag: 'ab', currentPath: '/a/b', emittingPath: '/a/b', prevValue: { deep: true }, newValue: undefined, payload: 'bye' },
      { tag: 'root', currentPath: '/', emittingPath: '/a/b', prevValue: { deep: true }, newValue: undefined, payload: 'bye' },
    ]);
  });

  it('S40 a ping event carries the current value (or the default) as both values', async () => {
    const c = kind.make();
    const seen: Seen[] = [];
    await c.setState('/p', 3);
    c.subscribe('/p', witness(seen, 'p'));
    c.subscribe('/q', witness(seen, 'q'));
    await c.ping('/p', { payload: 'again' });
    await c.ping('/q', { default: 'dflt' });
    assert.deepEqual(seen, [
      { tag: 'p', currentPath: '/p', emittingPath: '/p', prevValue: 3, newValue: 3, payload: 'again' },
      { tag: 'q', currentPath: '/q', emittingPath: '/q', prevValue: 'dflt', newValue: 'dflt', payload: undefined },
    ]);
  });

  it('S40 prevValue of a node with children is its merged view', async () => {
    const c = kind.make();
    const seen: Seen[] = [];
    await c.setState('/n/child', 1);
    c.subscribe('/n', witness(seen, 'n'));
    await c.setState('/n', 'own');
    assert.deepEqual(seen[0].prevValue, { child: 1 });
    assert.equal(seen[0].newValue, 'own');
  });

  it('S43 there is no oldValue on an event', async () => {
    const c = kind.make();
    let hasOldValue: boolean | undefined;
    c.subscribe('/a', (event) => {
      hasOldValue = 'oldValue' in event;
    });
    await c.setState('/a', 1);
    assert.equal(hasOldValue, false);
  });
});

forEachController('stopBubbling', (kind) => {
  it('S42 after stopBubbling, no further plain callbacks run at this level or above', async () => {
    const c = kind.make();
    const log: string[] = [];
    let flag: boolean | undefined;
    c.subscribe('/a/b/c', recorder(log, 'below'));
    c.subscribe('/a/b', (event) => {
      log.push(`stopper@${event.currentPath}`);
      event.stopBubbling();
      flag = event.bubbling;
    });
    c.subscribe('/a/b', recorder(log, 'same-level'));
    c.subscribe('/a/*', recorder(log, 'same-level-pattern'));
    c.subscribe('/a', recorder(log, 'parent'));
    c.subscribe('/', recorder(log, 'root'));
    await c.setState('/a/b/c', 1);
    assert.deepEqual(log, ['below@/a/b/c', 'stopper@/a/b']);
    assert.equal(flag, false);
  });

  it('S42 callbacks before the stopping one at its level have already run; the next change bubbles again', async () => {
    const c = kind.make();
    const log: string[] = [];
    c.subscribe('/a', recorder(log, 'first'));
    c.subscribe('/a', (event) => {
      log.push('stopper');
      if (event.newValue === 1) event.stopBubbling();
    });
    c.subscribe('/', recorder(log, 'root'));
    await c.setState('/a', 1);
    await c.setState('/a', 2);
    assert.deepEqual(log, ['first@/a', 'stopper', 'first@/a', 'stopper', 'root@/']);
  });

  it('S42 derivations and trackers keep running after stopBubbling', async () => {
    const c = kind.make();
    c.subscribe('/a/b', (event) => event.stopBubbling());
    await c.derive('/sameLevel', '/a/b', (value) => value);
    await c.derive('/above', '/a', (value) => value);
    const tracked: unknown[] = [];
    await c.track((event) => {
      const value = event.getState('/a');
      if (value instanceof Promise) return value.then((v: unknown) => tracked.push(v));
      tracked.push(value);
      return undefined;
    });
    await c.setState('/a/b', 5);
    assert.equal(await c.getState('/sameLevel'), 5);
    assert.deepEqual(await c.getState('/above'), { b: 5 });
    assert.deepEqual(tracked, [undefined, { b: 5 }]);
  });

  it('S42 a nested change made by the stopping callback is notified normally', async () => {
    const c = kind.make();
    const log: string[] = [];
    c.subscribe('/a', (event) => {
      event.stopBubbling();
      return event.setState('/other/x', 1);
    });
    c.subscribe('/other/x', recorder(log, 'nested'));
    c.subscribe('/', (event) => {
      log.push(`root:${event.emittingPath}`);
    });
    await c.setState('/a', 1);
    assert.deepEqual(log, ['nested@/other/x', 'root:/other/x']);
  });

  it('S42 in a step-1 delete delivery, stopBubbling only stops that node', async () => {
    const c = kind.make();
    const log: string[] = [];
    await c.setState('/a/x/y', 1);
    await c.setState('/a/z', 2);
    c.subscribe('/a/x/y', (event) => {
      log.push(`stopper@${event.currentPath}`);
      event.stopBubbling();
    });
    c.subscribe('/a/x/y', recorder(log, 'same-node'));
    c.subscribe('/a/z', recorder(log, 'other-node'));
    c.subscribe('/a', recorder(log, 'deleted'));
    c.subscribe('/', recorder(log, 'root'));
    await c.delState('/a');
    assert.deepEqual(log, ['stopper@/a/x/y', 'other-node@/a/z', 'deleted@/a', 'root@/']);
  });
});

forEachController('event helpers', (kind) => {
  it('S43 event.setState forwards skipNotify', async () => {
    const c = kind.make();
    const log: string[] = [];
    c.subscribe('/src', (event) => event.setState('/quiet', event.newValue, { skipNotify: true }));
    c.subscribe('/quiet', recorder(log, 'quiet'));
    c.subscribe('/', (event) => {
      log.push(`root:${event.emittingPath}`);
    });
    await c.setState('/src', 4);
    assert.equal(await c.getState('/quiet'), 4);
    assert.deepEqual(log, ['root:/src']);
  });

  it('S43 event.delState forwards skipNotify and payload', async () => {
    const c = kind.make();
    const seen: Seen[] = [];
    await c.setState('/quiet', 1);
    await c.setState('/loud', 1);
    c.subscribe('/src', (event) => event.delState('/quiet', { skipNotify: true }));
    c.subscribe('/src', (event) => event.delState('/loud', { payload: 'from-callback' }));
    c.subscribe('/quiet', witness(seen, 'quiet'));
    c.subscribe('/loud', witness(seen, 'loud'));
    await c.setState('/src', 1);
    assert.equal(await c.getState('/quiet'), undefined);
    assert.equal(await c.getState('/loud'), undefined);
    assert.deepEqual(seen, [
      { tag: 'loud', currentPath: '/loud', emittingPath: '/loud', prevValue: 1, newValue: undefined, payload: 'from-callback' },
    ]);
  });

  it('S43 event helpers return what the controller methods return and honour their options', async () => {
    const c = kind.make();
    const results: unknown[] = [];
    await c.setState('/same', 1);
    const steps: ((event: AnyEvent) => unknown)[] = [
      (event) => event.setState('/same', 1),
      (event) => event.setState('/forced', 1, { eqFunc: () => false }),
      (event) => event.setState('/dflt', 'd', { default: 'd' }),
      (event) => event.delState('/missing'),
      (event) => event.delState('/same'),
      (event) => event.getState('/missing', { default: 'fallback' }),
      (event) => event.getState('/written', { default: 'w', writeDefault: true }),
    ];
    // The sync controller refuses promise-returning callbacks (S39), so each kind gets its own runner.
    c.subscribe(
      '/src',
      kind.isAsync
        ? async (event) => {
            for (const step of steps) results.push(await step(event));
          }
        : (event) => {
            for (const step of steps) results.push(step(event));
          },
    );
    await c.setState('/src', 1);
    assert.deepEqual(results, [false, true, false, false, true, 'fallback', 'w']);
    assert.equal(await c.getState('/forced'), 1);
    assert.equal(await c.getState('/dflt'), undefined);
    assert.equal(await c.getState('/written'), 'w');
  });

  it('S43 event.setState forwards payload to the nested change', async () => {
    const c = kind.make();
    const seen: Seen[] = [];
    c.subscribe('/src', (event) => event.setState('/dest', 1, { payload: 'inner' }));
    c.subscribe('/dest', witness(seen, 'dest'));
    await c.setState('/src', 1, { payload: 'outer' });
    assert.equal(seen.length, 1);
    assert.equal(seen[0].payload, 'inner');
  });
});

forEachController('callback errors', (kind) => {
  it('S45 all callbacks run, the write stays, and setState throws every failure in order', async () => {
    const c = kind.make();
    const log: string[] = [];
    const e1 = new Error('first');
    const e2 = new TypeError('second');
    const idA = c.subscribe('/a/b', failing(e1));
    c.subscribe('/a/b', recorder(log, 'B'));
    const idC = c.subscribe('/a', failing(e2));
    c.subscribe('/', recorder(log, 'D'));
    await assert.rejects(
      async () => {
        await c.setState('/a/b', 1);
      },
      (err: unknown) =>
        assertFailures(err, [
          { callbackId: idA, path: '/a/b', emittingPath: '/a/b', error: e1 },
          { callbackId: idC, path: '/a', emittingPath: '/a/b', error: e2 },
        ]),
    );
    assert.deepEqual(log, ['B@/a/b', 'D@/']);
    assert.equal(await c.getState('/a/b'), 1);
  });

  it('S45 non-Error values thrown are collected as they are', async () => {
    const c = kind.make();
    const id = c.subscribe('/a', failing('a string'));
    await assert.rejects(
      async () => {
        await c.setState('/a', 1);
      },
      (err: unknown) => assertFailures(err, [{ callbackId: id, path: '/a', emittingPath: '/a', error: 'a string' }]),
    );
  });

  it('S45 delState and ping throw the collected failures too', async () => {
    const c = kind.make();
    const error = new Error('boom');
    await c.setState('/a', 1);
    const id = c.subscribe('/a', failing(error));
    await assert.rejects(
      async () => {
        await c.ping('/a');
      },
      (err: unknown) => assertFailures(err, [{ callbackId: id, path: '/a', emittingPath: '/a', error }]),
    );
    await assert.rejects(
      async () => {
        await c.delState('/a');
      },
      (err: unknown) => assertFailures(err, [{ callbackId: id, path: '/a', emittingPath: '/a', error }]),
    );
    assert.equal(await c.getState('/a'), undefined);
  });

  it('S45 a failure in a nested change is collected by the outer call, flattened', async () => {
    const c = kind.make();
    const log: string[] = [];
    const inner = new Error('inner');
    const outer = new Error('outer');
    c.subscribe('/x', (event) => event.setState('/y', 1));
    const idY = c.subscribe('/y', failing(inner));
    const idX2 = c.subscribe('/x', failing(outer));
    c.subscribe('/', recorder(log, 'root'));
    await assert.rejects(
      async () => {
        await c.setState('/x', 1);
      },
      (err: unknown) =>
        assertFailures(err, [
          { callbackId: idY, path: '/y', emittingPath: '/y', error: inner },
          { callbackId: idX2, path: '/x', emittingPath: '/x', error: outer },
        ]),
    );
    assert.deepEqual(log, ['root@/', 'root@/']);
    assert.equal(await c.getState('/y'), 1);
  });

  it('S45 a RestateCallbackError thrown by a callback is flattened into the list', async () => {
    const c = kind.make();
    const e1 = new Error('one');
    const e2 = new Error('two');
    const e3 = new Error('three');
    const thrown = new RestateCallbackError([
      { callbackId: 'elsewhere', path: '/p', emittingPath: '/p/q', error: e1 },
      { callbackId: 'elsewhere2', path: '/', emittingPath: '/p/q', error: e2 },
    ]);
    const idA = c.subscribe('/a', failing(thrown));
    const idB = c.subscribe('/a', failing(e3));
    await assert.rejects(
      async () => {
        await c.setState('/a', 1);
      },
      (err: unknown) => {
        assertFailures(err, [
          { callbackId: 'elsewhere', path: '/p', emittingPath: '/p/q', error: e1 },
          { callbackId: 'elsewhere2', path: '/', emittingPath: '/p/q', error: e2 },
          { callbackId: idB, path: '/a', emittingPath: '/a', error: e3 },
        ]);
        assert.ok(idA !== idB);
        return true;
      },
    );
  });

  it('S45 a failing transform is collected under the derivation id and the dest keeps its value', async () => {
    const c = kind.make();
    const error = new Error('bad input');
    await c.derive('/dest', '/src', (value) => {
      if (value === 'bad') throw error;
      return value;
    });
    await c.setState('/src', 'good');
    await assert.rejects(
      async () => {
        await c.setState('/src', 'bad');
      },
      (err: unknown) => assertFailures(err, [{ callbackId: 'derive:/dest', path: '/src', emittingPath: '/src', error }]),
    );
    assert.equal(await c.getState('/dest'), 'good');
    assert.equal(await c.getState('/src'), 'bad');
  });

  it('S45 a failure among the dest subscribers of a derivation is collected, flattened, and the dest keeps the write', async () => {
    const c = kind.make();
    const error = new Error('dest subscriber');
    await c.derive('/dest', '/src', (value) => value ?? 0);
    const id = c.subscribe('/dest', failing(error));
    await assert.rejects(
      async () => {
        await c.setState('/src', 3);
      },
      (err: unknown) => assertFailures(err, [{ callbackId: id, path: '/dest', emittingPath: '/dest', error }]),
    );
    assert.equal(await c.getState('/dest'), 3);
  });

  it('S45 a failing tracked callback is collected under the tracker id', async () => {
    const c = kind.make();
    const error = new Error('tracked failure');
    let fail = false;
    const id = await c.track((event) => {
      const value = event.getState('/t');
      if (fail) throw error;
      return value;
    });
    fail = true;
    await assert.rejects(
      async () => {
        await c.setState('/t', 1);
      },
      (err: unknown) => assertFailures(err, [{ callbackId: id, path: '/t', emittingPath: '/t', error }]),
    );
  });

  it('S45 a RestateCycleError is never collected', async () => {
    const c = kind.make(undefined, { maxDepth: 2 });
    c.subscribe('/a', failing(new Error('ordinary')));
    c.subscribe('/a', (event) => event.setState('/b', 1));
    c.subscribe('/b', (event) => event.setState('/c', 1));
    await assert.rejects(
      async () => {
        await c.setState('/a', 1);
      },
      (err: unknown) => err instanceof RestateCycleError,
    );
  });

  it('S45 failures from both steps of a delete are thrown together, in order', async () => {
    const c = kind.make();
    const stepOne = new Error('step one');
    const stepTwo = new Error('step two');
    await c.setState('/a/b', 1);
    const idB = c.subscribe('/a/b', failing(stepOne));
    const idA = c.subscribe('/a', failing(stepTwo));
    await assert.rejects(
      async () => {
        await c.delState('/a');
      },
      (err: unknown) =>
        assertFailures(err, [
          { callbackId: idB, path: '/a/b', emittingPath: '/a/b', error: stepOne },
          { callbackId: idA, path: '/a', emittingPath: '/a', error: stepTwo },
        ]),
    );
    assert.equal(await c.getState('/a'), undefined);
  });

  it('S45 a rejected promise from an async callback is collected like a throw', { skip: !kind.isAsync && 'sync controllers refuse promises (S39)' }, async () => {
    const c = kind.make();
    const error = new Error('rejected');
    const id = c.subscribe('/a', async () => {
      throw error;
    });
    await assert.rejects(
      async () => {
        await c.setState('/a', 1);
      },
      (err: unknown) => assertFailures(err, [{ callbackId: id, path: '/a', emittingPath: '/a', error }]),
    );
  });
});

forEachController('delete notifications', (kind) => {
  it('S28 descendants with subscriptions are notified at their own level, deepest first then by path, then the delete bubbles', async () => {
    const c = kind.make();
    const seen: Seen[] = [];
    await c.setState('/a/x', 1);
    await c.setState('/a/y', 'Y');
    await c.setState('/a/y/z', 2);
    await c.setState('/a/y/w', 3);
    await c.setState('/a/q', 4);
    await c.setState('/b', 5);
    for (const path of ['/a/y/z', '/a/x', '/a/y', '/a/never', '/b', '/a', '/']) c.subscribe(path, witness(seen, path));
    assert.equal(await c.delState('/a', { payload: 'P' }), true);
    const before = { x: 1, y: { '/': 'Y', z: 2, w: 3 }, q: 4 };
    assert.deepEqual(seen, [
      { tag: '/a/y/z', currentPath: '/a/y/z', emittingPath: '/a/y/z', prevValue: 2, newValue: undefined, payload: 'P' },
      { tag: '/a/x', currentPath: '/a/x', emittingPath: '/a/x', prevValue: 1, newValue: undefined, payload: 'P' },
      { tag: '/a/y', currentPath: '/a/y', emittingPath: '/a/y', prevValue: { '/': 'Y', z: 2, w: 3 }, newValue: undefined, payload: 'P' },
      { tag: '/a', currentPath: '/a', emittingPath: '/a', prevValue: before, newValue: undefined, payload: 'P' },
      { tag: '/', currentPath: '/', emittingPath: '/a', prevValue: before, newValue: undefined, payload: 'P' },
    ]);
  });

  it('S28 step 1 does not bubble: a descendant delivery reaches no other level', async () => {
    const c = kind.make();
    const log: string[] = [];
    await c.setState('/a/b/c', 1);
    const f = recorder(log, 'f');
    c.subscribe('/a/b/c', f);
    c.subscribe('/a/b', f);
    c.subscribe('/a', f);
    await c.delState('/a');
    // Once for each subscribed descendant, once for the deleted path: never /a/b for /a/b/c's change.
    assert.deepEqual(log, ['f@/a/b/c', 'f@/a/b', 'f@/a']);
  });

  it('S28 wildcard subscriptions select descendants too, expanded over existing nodes', async () => {
    const c = kind.make();
    const seen: Seen[] = [];
    await c.setState('/a/x', 1);
    await c.setState('/a/y/z', 2);
    await c.setState('/a/q/z', 3);
    await c.setState('/a/q/other', 4);
    c.subscribe('/a/*/z', witness(seen, '/a/*/z'));
    c.subscribe('/a/*', witness(seen, '/a/*'));
    c.subscribe('/a/*/missing', witness(seen, '/a/*/missing'));
    c.subscribe('/*', witness(seen, '/*'));
    await c.delState('/a');
    assert.deepEqual(
      seen.map((s) => `${s.tag}@${s.currentPath}<-${s.emittingPath}`),
      [
        '/a/*/z@/a/q/z<-/a/q/z',
        '/a/*/z@/a/y/z<-/a/y/z',
        '/a/*@/a/q<-/a/q',
        '/a/*@/a/x<-/a/x',
        '/a/*@/a/y<-/a/y',
        '/*@/a<-/a',
      ],
    );
    assert.deepEqual(seen[0].prevValue, 3);
    assert.deepEqual(seen[2].prevValue, { z: 3, other: 4 });
  });

  it('S28 a callback matching a descendant exactly and by pattern runs once there', async () => {
    const c = kind.make();
    const log: string[] = [];
    await c.setState('/a/b', 1);
    const f = recorder(log, 'f');
    c.subscribe('/a/*', f);
    c.subscribe('/a/b', recorder(log, 'g'));
    c.subscribe('/a/b', f);
    await c.delState('/a');
    assert.deepEqual(log, ['g@/a/b', 'f@/a/b']);
  });

  it('S28 deleting a leaf only bubbles', async () => {
    const c = kind.make();
    const log: string[] = [];
    await c.setState('/a/b', 1);
    c.subscribe('/a/b', recorder(log, 'leaf'));
    c.subscribe('/a', recorder(log, 'parent'));
    await c.delState('/a/b');
    assert.deepEqual(log, ['leaf@/a/b', 'parent@/a']);
  });

  it('S28 a missing path notifies nobody', async () => {
    const c = kind.make();
    const log: string[] = [];
    c.subscribe('/a', recorder(log, 'a'));
    c.subscribe('/a/*', recorder(log, 'pattern'));
    c.subscribe('/', recorder(log, 'root'));
    assert.equal(await c.delState('/a'), false);
    assert.deepEqual(log, []);
  });

  it('S28 skipNotify silences both steps', async () => {
    const c = kind.make();
    const log: string[] = [];
    await c.setState('/a/b', 1);
    c.subscribe('/a/b', recorder(log, 'child'));
    c.subscribe('/a', recorder(log, 'a'));
    assert.equal(await c.delState('/a', { skipNotify: true }), true);
    assert.deepEqual(log, []);
  });

  it('S28 deleting the root notifies subscribed nodes, then the root', async () => {
    const c = kind.make();
    const log: string[] = [];
    await c.setState('/', 'own');
    await c.setState('/a/b', 1);
    await c.setState('/c', 2);
    c.subscribe('/a/b', recorder(log, 'ab'));
    c.subscribe('/*', recorder(log, 'top'));
    c.subscribe('/', recorder(log, 'root'));
    assert.equal(await c.delState('/'), true);
    assert.deepEqual(log, ['ab@/a/b', 'top@/a', 'top@/c', 'root@/']);
  });

  it('S28 step 1 follows the subscription index, not the deleted subtree', async () => {
    const backend = new CountingBackend();
    const c = kind.make(backend);
    for (let i = 0; i < 200; i++) await c.setState(`/big/n${i}/leaf`, i);
    c.subscribe('/big', () => undefined);
    backend.calls = 0;
    await c.delState('/big');
    assert.ok(backend.calls < 20, `the delete made ${backend.calls} backend calls for 200 unsubscribed descendants`);
  });
});
