import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as restate from '../../../extension/restate/index';
import {
  ControllerAsync,
  ControllerSync,
  InMemoryBackend,
  MISSING,
  RestateBackendError,
  RestateCallbackError,
  RestateConflictError,
  RestateCycleError,
  RestateError,
  RestateFormatError,
  RestateIdError,
  RestateMountError,
  RestateNameError,
  RestatePathError,
  RestateSerializeError,
  RestateUsageError,
  RestateValueError,
  deepEqual,
} from '../../../extension/restate/index';
import type {
  AsyncBackend,
  Backend,
  FileAdapter,
  GraphSnapshot,
  PathLike,
  Serializer,
  StateCallback,
  StateEvent,
  TraceRecord,
} from '../../../extension/restate/index';
import { forEachController, promisedBackend } from './controllers';
import type { AnyController } from './controllers';

type AnyEvent = StateEvent<AnyController>;

interface Delivery {
  emittingPath: string;
  currentPath: string;
  prevValue: unknown;
  newValue: unknown;
  payload: unknown;
}

/** A callback that records what each delivery carried. */
function recorder(): { log: Delivery[]; cb: (event: AnyEvent) => void } {
  const log: Delivery[] = [];
  return {
    log,
    cb: (event: AnyEvent) => {
      log.push({
        emittingPath: event.emittingPath,
        currentPath: event.currentPath,
        prevValue: event.prevValue,
        newValue: event.newValue,
        payload: event.payload,
      });
    },
  };
}

/** An in-memory backend that logs every call, and can be told to fail writes. */
class SpyBackend implements Backend {
  readonly inner = new InMemoryBackend();
  readonly calls: string[] = [];
  failWrites: Error | undefined;

  read<D = typeof MISSING>(path: string, dflt?: D): unknown {
    this.calls.push(`read ${path}`);
    return arguments.length < 2 ? this.inner.read(path) : this.inner.read(path, dflt);
  }

  write(path: string, value: unknown): void {
    this.calls.push(`write ${path}`);
    if (this.failWrites !== undefined) throw this.failWrites;
    this.inner.write(path, value);
  }

  delete(path: string): void {
    this.calls.push(`delete ${path}`);
    this.inner.delete(path);
  }

  listChildren(path: string): string[] {
    this.calls.push(`list ${path}`);
    return this.inner.listChildren(path);
  }
}

const errorTable: readonly (readonly [string, new (...args: never[]) => RestateError, string, () => RestateError])[] = [
  ['RestatePathError', RestatePathError, 'path', () => new RestatePathError('path', '/a/..', 'bad path /a/..')],
  ['RestateNameError', RestateNameError, 'name', () => new RestateNameError('fs', '/CON', 'CON', 'a Windows device name')],
  ['RestateValueError', RestateValueError, 'value', () => new RestateValueError('memory', '/v', 'cannot write undefined to /v')],
  ['RestateSerializeError', RestateSerializeError, 'serialize', () => new RestateSerializeError('fs', '/v', '.tags[2]', 'NaN')],
  ['RestateFormatError', RestateFormatError, 'format', () => new RestateFormatError('fs', '/v', 'v.json', 'line 1 column 2')],
  ['RestateBackendError', RestateBackendError, 'backend', () => new RestateBackendError('fs', 'cannot write /v', { path: '/v', cause: new Error('EIO') })],
  [
    'RestateCallbackError',
    RestateCallbackError,
    'callback',
    () => new RestateCallbackError([{ callbackId: '#1', path: '/', emittingPath: '/a', error: new Error('boom') }]),
  ],
  ['RestateCycleError', RestateCycleError, 'cycle', () => new RestateCycleError(['/a', '/b', '/a'], 2)],
  [
    'RestateConflictError',
    RestateConflictError,
    'conflict',
    () => new RestateConflictError('caching', '/counter', 'kept the newer value of /counter', { droppedValue: 1, winningValue: 500 }),
  ],
  ['RestateIdError', RestateIdError, 'id', () => new RestateIdError('#9', 'unknown callback id #9')],
  ['RestateMountError', RestateMountError, 'mount', () => new RestateMountError('/', 'cannot mount at /')],
  ['RestateUsageError', RestateUsageError, 'usage', () => new RestateUsageError('controller', 'use ControllerAsync')],
];

describe('errors and exports (S1, S2)', () => {
  for (const [name, ErrorClass, code, make] of errorTable) {
    it(`S1 ${name} is exported, is a RestateError and has code "${code}"`, () => {
      assert.equal((restate as Record<string, unknown>)[name], ErrorClass);
      const error = make();
      assert.ok(error instanceof ErrorClass);
      assert.ok(error instanceof RestateError);
      assert.ok(error instanceof Error);
      assert.equal(error.code, code);
      assert.ok(error.message.startsWith('[restate] ['), error.message);
    });
  }

  it('S1 RestateNameError is a RestatePathError', () => {
    const error = new RestateNameError('fs', '/CON', 'CON', 'reserved');
    assert.ok(error instanceof RestatePathError);
    assert.equal(error.code, 'name');
  });

  it('S1 RestateCallbackError carries errors like AggregateError', () => {
    const boom = new Error('boom');
    const error = new RestateCallbackError([{ callbackId: '#1', path: '/', emittingPath: '/a', error: boom }]);
    assert.deepEqual(error.errors, [boom]);
    assert.equal(error.failures[0]?.callbackId, '#1');
  });

  it('S1 RestateBackendError keeps its cause', () => {
    const cause = new Error('EIO');
    assert.equal(new RestateBackendError('fs', 'cannot read /a', { cause }).cause, cause);
  });

  it('S1 RestateError is exported and extends Error', () => {
    assert.equal(restate.RestateError, RestateError);
    assert.ok(RestateError.prototype instanceof Error);
  });

  it('S1 errors thrown by the library carry their code and prefix', () => {
    const thrown: [RestateError, string][] = [];
    const capture = (fn: () => unknown, code: string): void => {
      try {
        fn();
        assert.fail(`expected a ${code} error`);
      } catch (error) {
        assert.ok(error instanceof RestateError, String(error));
        thrown.push([error, code]);
      }
    };
    const c = new ControllerSync();
    capture(() => c.getState('/a/..'), 'path');
    capture(() => c.setState('/a', undefined), 'value');
    capture(() => c.registerCallback(() => undefined, { forceId: '#7' }), 'id');
    capture(() => new ControllerSync(promisedBackend(new InMemoryBackend()) as unknown as Backend).getState('/a'), 'usage');
    c.subscribe('/boom', () => {
      throw new Error('boom');
    });
    capture(() => c.setState('/boom', 1), 'callback');
    for (const [error, code] of thrown) {
      assert.equal(error.code, code);
      assert.ok(error.message.startsWith('[restate] ['), error.message);
    }
  });

  const runtimeExports = [
    'ControllerSync',
    'ControllerAsync',
    'DeriveData',
    'Atom',
    'AtomAsync',
    'StatePath',
    'ROOT_PATH',
    'resolvePath',
    'MISSING',
    'deepEqual',
    'InMemoryBackend',
    'FileSystemSyncBackend',
    'FileSystemAsyncBackend',
    'HybridSyncBackend',
    'HybridAsyncBackend',
    'CachingSyncBackend',
    'CachingAsyncBackend',
    'jsonSerializer',
    'nodeFileAdapter',
    'UnreadableValue',
    'RestateError',
    ...errorTable.map(([name]) => name),
  ];
  for (const name of runtimeExports) {
    it(`S2 the package root exports ${name}`, () => {
      const value = (restate as Record<string, unknown>)[name];
      assert.notEqual(value, undefined, `${name} is not exported`);
    });
  }

  it('S2 the exported classes are constructors and the functions are functions', () => {
    for (const name of ['ControllerSync', 'ControllerAsync', 'DeriveData', 'Atom', 'AtomAsync', 'StatePath', 'InMemoryBackend']) {
      assert.equal(typeof (restate as Record<string, unknown>)[name], 'function', name);
    }
    assert.equal(typeof restate.resolvePath, 'function');
    assert.equal(typeof restate.deepEqual, 'function');
    assert.equal(typeof restate.MISSING, 'symbol');
  });

  it('S2 the package root exports the public types', () => {
    const typed: {
      event?: StateEvent;
      callback?: StateCallback;
      path?: PathLike;
      backend?: Backend;
      asyncBackend?: AsyncBackend;
      serializer?: Serializer;
      adapter?: FileAdapter;
      graph?: GraphSnapshot;
      trace?: TraceRecord;
    } = {};
    assert.deepEqual(typed, {});
  });
});

describe('constructors (S21, S22)', () => {
  it('S21 the backend defaults to a new InMemoryBackend', () => {
    const sync = new ControllerSync();
    const async = new ControllerAsync();
    assert.ok(sync.backend instanceof InMemoryBackend);
    assert.ok(async.backend instanceof InMemoryBackend);
    assert.notEqual(new ControllerSync().backend, sync.backend);
    assert.notEqual(new ControllerAsync().backend, async.backend);
  });

  it('S21 a given backend is kept as controller.backend', () => {
    const backend = new InMemoryBackend();
    assert.equal(new ControllerSync(backend).backend, backend);
    assert.equal(new ControllerAsync(backend).backend, backend);
    const asyncBackend = promisedBackend(new InMemoryBackend());
    assert.equal(new ControllerAsync(asyncBackend).backend, asyncBackend);
  });

  it('S21 controller.backend is read-only to the type checker', () => {
    const reassign = (c: ControllerSync): void => {
      // @ts-expect-error -- S21: controller.backend is read-only
      c.backend = new InMemoryBackend();
    };
    assert.equal(typeof reassign, 'function');
  });

  it('S21 the default controller starts empty', async () => {
    assert.deepEqual(new ControllerSync().getState('/'), {});
    assert.deepEqual(await new ControllerAsync().getState('/'), {});
  });

  it('S22 ControllerSync throws a RestateUsageError when a backend call returns a thenable', () => {
    const c = new ControllerSync(promisedBackend(new InMemoryBackend()) as unknown as Backend);
    assert.throws(() => c.getState('/a'), RestateUsageError);
    assert.throws(() => c.setState('/a', 1), RestateUsageError);
    assert.throws(() => c.delState('/a'), RestateUsageError);
    assert.throws(() => c.ping('/a'), RestateUsageError);
  });

  it('S22 ControllerSync detects any thenable, not only native promises', () => {
    const thenable = { then: (): undefined => undefined };
    const backend: Backend = {
      read: () => thenable,
      write: () => undefined,
      delete: () => undefined,
      listChildren: () => [],
    };
    const c = new ControllerSync(backend);
    assert.throws(() => c.getState('/a'), RestateUsageError);
  });

  it('S22 ControllerSync throws a RestateUsageError when only the write returns a thenable', () => {
    const inner = new InMemoryBackend();
    const backend: Backend = {
      read: (path: string, ...rest: unknown[]) => (rest.length === 0 ? inner.read(path) : inner.read(path, rest[0])),
      write: (path: string, value: unknown) => Promise.resolve(inner.write(path, value)) as unknown as void,
      delete: (path: string) => inner.delete(path),
      listChildren: (path: string) => inner.listChildren(path),
    };
    const c = new ControllerSync(backend);
    const { log, cb } = recorder();
    c.subscribe('/', cb);
    assert.throws(() => c.setState('/a', 1), RestateUsageError);
    assert.deepEqual(log, []);
  });

  it('S22 ControllerAsync works with a sync and with an async backend', async () => {
    for (const backend of [new InMemoryBackend(), promisedBackend(new InMemoryBackend())]) {
      const c = new ControllerAsync(backend);
      assert.equal(await c.setState('/a/b', 1), true);
      assert.deepEqual(await c.getState('/a'), { b: 1 });
      assert.equal(await c.delState('/a'), true);
      assert.equal(await c.getState('/a'), undefined);
    }
  });

  it('S22 ControllerAsync returns promises', async () => {
    const c = new ControllerAsync();
    const pending = c.setState('/a', 1);
    assert.ok(pending instanceof Promise);
    assert.equal(await pending, true);
    const read = c.getState('/a');
    assert.ok(read instanceof Promise);
    assert.equal(await read, 1);
  });
});

describe('controller surface (S23)', () => {
  it('S23 ControllerAsync returns promises where ControllerSync returns values', async () => {
    const sync = new ControllerSync();
    const async = new ControllerAsync();
    const cb = (): void => undefined;
    const syncResults: unknown[] = [
      sync.getState('/a'),
      sync.setState('/a', 1),
      sync.delState('/a'),
      sync.ping('/a'),
      sync.derive('/d', '/a', (v) => v),
      sync.deriveMany('/e', ['/a'], () => 1),
      sync.track(cb),
      sync.batch(() => 'done'),
      sync.notifyChange('/a', { prevValue: 1, newValue: 2 }),
    ];
    for (const result of syncResults) assert.ok(!(result instanceof Promise));
    assert.deepEqual(syncResults, [undefined, true, true, undefined, 'derive:/d', 'derive:/e', 'track:1', 'done', undefined]);
    const asyncResults: unknown[] = [
      async.getState('/a'),
      async.setState('/a', 1),
      async.delState('/a'),
      async.ping('/a'),
      async.derive('/d', '/a', (v) => v),
      async.deriveMany('/e', ['/a'], () => 1),
      async.track(cb),
      async.batch(() => 'done'),
      async.notifyChange('/a', { prevValue: 1, newValue: 2 }),
    ];
    for (const result of asyncResults) assert.ok(result instanceof Promise);
    assert.deepEqual(await Promise.all(asyncResults), [undefined, true, true, undefined, 'derive:/d', 'derive:/e', 'track:1', 'done', undefined]);
  });

  it('S23 callback registration, graph and atoms are synchronous in both controllers', () => {
    for (const c of [new ControllerSync(), new ControllerAsync()]) {
      const cb = (): void => undefined;
      const id = c.registerCallback(cb);
      assert.equal(typeof id, 'string');
      assert.equal(c.subscribe('/a', cb), id);
      assert.equal(c.subscribeById('/b', id), id);
      assert.equal(c.unsubscribe('/a', cb), true);
      assert.equal(c.unsubscribeById('/b', id), true);
      assert.equal(c.removeCallback(id), true);
      assert.equal(c.underive('/nothing'), false);
      assert.equal(c.untrack('track:99'), false);
      assert.equal(typeof c.onTrace(() => undefined), 'function');
      assert.ok(Array.isArray(c.graph().nodes));
    }
    assert.ok(new ControllerSync().atom('/x') instanceof restate.Atom);
    assert.ok(new ControllerAsync().atom('/x') instanceof restate.AtomAsync);
  });
});

forEachController('maxDepth (S21)', (kind) => {
  it('S21 S132 maxDepth has no default: a callback that keeps rewriting its path is refused at its 101st write', async () => {
    const c = kind.make();
    c.subscribe('/n', (event: AnyEvent) => event.setState('/n', (event.newValue as number) + 1));
    await assert.rejects(async () => c.setState('/n', 1), (error: unknown) => {
      assert.ok(error instanceof RestateCycleError, String(error));
      assert.equal(error.limit, 100);
      assert.equal(error.chain.length, 101);
      return true;
    });
    assert.equal(await c.getState('/n'), 100);
  });

  it('S21 the maxDepth option sets the limit', async () => {
    const c = kind.make(undefined, { maxDepth: 5 });
    c.subscribe('/n', (event: AnyEvent) => event.setState('/n', (event.newValue as number) + 1));
    await assert.rejects(async () => c.setState('/n', 1), (error: unknown) => {
      assert.ok(error instanceof RestateCycleError, String(error));
      assert.equal(error.limit, 5);
      assert.equal(error.chain.length, 6);
      return true;
    });
    assert.equal(await c.getState('/n'), 5);
  });
});

forEachController('getState (S24)', (kind) => {
  it('S24 getState returns the value, or the default when the path is missing', async () => {
    const c = kind.make();
    await c.setState('/a', 'x');
    assert.equal(await c.getState('/a', { default: 'd' }), 'x');
    const dflt = { d: 1 };
    assert.equal(await c.getState('/b', { default: dflt }), dflt);
    assert.equal(await c.getState('/b'), undefined);
  });

  it('S24 writeDefault writes the default without notifying', async () => {
    const c = kind.make();
    const { log, cb } = recorder();
    c.subscribe('/', cb);
    c.subscribe('/a', cb);
    assert.equal(await c.getState('/a', { default: 5, writeDefault: true }), 5);
    assert.equal(await c.backend.read('/a'), 5);
    assert.equal(await c.getState('/a'), 5);
    assert.deepEqual(log, []);
  });

  it('S24 writeDefault writes without comparison, even where setState would skip', async () => {
    const c = kind.make();
    assert.equal(await c.setState('/z', 0, { default: 0 }), false);
    assert.equal(await c.backend.read('/z'), MISSING);
    assert.equal(await c.getState('/z', { default: 0, writeDefault: true }), 0);
    assert.equal(await c.backend.read('/z'), 0);
  });

  it('S24 writeDefault writes a null default', async () => {
    const c = kind.make();
    assert.equal(await c.getState('/n', { default: null, writeDefault: true }), null);
    assert.equal(await c.backend.read('/n'), null);
  });

  it('S24 writeDefault with an undefined default writes nothing', async () => {
    const c = kind.make();
    assert.equal(await c.getState('/u', { writeDefault: true }), undefined);
    assert.equal(await c.getState('/u', { default: undefined, writeDefault: true }), undefined);
    assert.equal(await c.backend.read('/u'), MISSING);
  });

  it('S24 writeDefault leaves an existing value alone', async () => {
    const c = kind.make();
    await c.setState('/a', 1);
    assert.equal(await c.getState('/a', { default: 2, writeDefault: true }), 1);
    assert.equal(await c.backend.read('/a'), 1);
  });

  it('S24 writeDefault below an existing parent adds a child', async () => {
    const c = kind.make();
    await c.setState('/p/x', 1);
    assert.equal(await c.getState('/p/y', { default: 2, writeDefault: true }), 2);
    assert.deepEqual(await c.getState('/p'), { x: 1, y: 2 });
  });

  it('S24 writeDefault is traced as a set with notified: false', async () => {
    const c = kind.make();
    const records: TraceRecord[] = [];
    c.onTrace((record) => records.push(record));
    await c.getState('/a', { default: 5, writeDefault: true });
    const sets = records.filter((r) => r.kind === 'set');
    assert.equal(sets.length, 1);
    const set = sets[0];
    assert.ok(set !== undefined && set.kind === 'set');
    assert.equal(set.path, '/a');
    assert.equal(set.value, 5);
    assert.equal(set.notified, false);
  });

  it('S24 without writeDefault nothing is written', async () => {
    const c = kind.make();
    assert.equal(await c.getState('/a', { default: 5 }), 5);
    assert.equal(await c.backend.read('/a'), MISSING);
  });
});

forEachController('setState (S25, S26)', (kind) => {
  it('S25 setState returns true after a write and false for an equal value', async () => {
    const c = kind.make();
    assert.equal(await c.setState('/a', { x: [1] }), true);
    assert.equal(await c.setState('/a', { x: [1] }), false);
    assert.equal(await c.setState('/a', { x: [2] }), true);
    assert.deepEqual(await c.getState('/a'), { x: [2] });
  });

  it('S25 a skipped write notifies nobody', async () => {
    const c = kind.make();
    await c.setState('/a', 1);
    const { log, cb } = recorder();
    c.subscribe('/a', cb);
    c.subscribe('/', cb);
    assert.equal(await c.setState('/a', 1), false);
    assert.deepEqual(log, []);
  });

  it('S25 a write notifies the path and its ancestors with prev and new values', async () => {
    const c = kind.make();
    await c.setState('/a/b', 1);
    const { log, cb } = recorder();
    c.subscribe('/a/b', cb);
    c.subscribe('/', cb);
    assert.equal(await c.setState('/a/b', 2), true);
    assert.deepEqual(log, [
      { emittingPath: '/a/b', currentPath: '/a/b', prevValue: 1, newValue: 2, payload: undefined },
      { emittingPath: '/a/b', currentPath: '/', prevValue: 1, newValue: 2, payload: undefined },
    ]);
  });

  it('S25 the wildcard check comes before the value check', async () => {
    const c = kind.make();
    await assert.rejects(async () => c.setState('/a/*', undefined), RestatePathError);
  });

  it('S25 an undefined value is refused before anything is read or compared', async () => {
    const spy = new SpyBackend();
    const c = kind.make(spy);
    let compared = 0;
    await assert.rejects(
      async () =>
        c.setState('/a', undefined, {
          eqFunc: () => {
            compared++;
            return false;
          },
        }),
      RestateValueError,
    );
    assert.equal(compared, 0);
    assert.deepEqual(spy.calls, []);
  });

  it('S25 the steps run in order: read, compare, write, notify', async () => {
    const spy = new SpyBackend();
    const c = kind.make(spy);
    c.subscribe('/a', () => {
      spy.calls.push('notify');
    });
    await c.setState('/a', 1, {
      eqFunc: () => {
        spy.calls.push('compare');
        return false;
      },
    });
    const calls = spy.calls;
    const compare = calls.indexOf('compare');
    const write = calls.indexOf('write /a');
    const notify = calls.indexOf('notify');
    assert.ok(compare > 0, `no read before the comparison: ${calls.join(', ')}`);
    assert.ok(calls.slice(0, compare).some((call) => call.endsWith(' /a')), calls.join(', '));
    assert.ok(!calls.slice(0, compare).some((call) => call.startsWith('write')), calls.join(', '));
    assert.ok(write > compare, calls.join(', '));
    assert.ok(notify > write, calls.join(', '));
    assert.equal(calls.filter((call) => call === 'notify').length, 1);
    assert.equal(calls.filter((call) => call.startsWith('write')).length, 1);
  });

  it('S25 eqFunc receives (newValue, prevValue), the new value first', async () => {
    const c = kind.make();
    const args: unknown[][] = [];
    const eqFunc = (newValue: unknown, prevValue: unknown): boolean => {
      args.push([newValue, prevValue]);
      return false;
    };
    await c.setState('/a', 1, { eqFunc });
    const value = { v: 2 };
    await c.setState('/a', value, { eqFunc });
    assert.equal(args.length, 2);
    assert.deepEqual(args[0], [1, undefined]);
    assert.equal(args[1]?.[0], value);
    assert.equal(args[1]?.[1], 1);
  });

  it('S25 eqFunc gets the default as prevValue on a missing path, and the value otherwise', async () => {
    const c = kind.make();
    const args: unknown[][] = [];
    await c.setState('/a', 1, {
      default: 'dflt',
      eqFunc: (newValue: unknown, prevValue: unknown) => {
        args.push([newValue, prevValue]);
        return false;
      },
    });
    assert.deepEqual([...args], [[1, 'dflt']]);
    await c.setState('/a', 2, {
      default: 'dflt',
      eqFunc: (newValue: unknown, prevValue: unknown) => {
        args.push([newValue, prevValue]);
        return false;
      },
    });
    assert.deepEqual(args, [
      [1, 'dflt'],
      [2, 1],
    ]);
  });

  it('S25 eqFunc gets the merged view of a node with children', async () => {
    const c = kind.make();
    await c.setState('/p', 'own');
    await c.setState('/p/x', 1);
    const args: unknown[][] = [];
    await c.setState('/p', 'next', {
      eqFunc: (newValue: unknown, prevValue: unknown) => {
        args.push([newValue, prevValue]);
        return false;
      },
    });
    assert.deepEqual(args, [['next', { '/': 'own', x: 1 }]]);
  });

  it('S25 a truthy eqFunc result skips the write', async () => {
    const c = kind.make();
    const { log, cb } = recorder();
    c.subscribe('/a', cb);
    for (const result of [true, 1, 'yes', {}, []]) {
      assert.equal(await c.setState('/a', 1, { eqFunc: () => result }), false);
    }
    assert.equal(await c.backend.read('/a'), MISSING);
    assert.deepEqual(log, []);
  });

  it('S25 a falsy eqFunc result writes', async () => {
    const c = kind.make();
    let n = 0;
    for (const result of [false, 0, '', null, undefined, NaN]) {
      n++;
      assert.equal(await c.setState('/a', n, { eqFunc: () => result }), true);
      assert.equal(await c.getState('/a'), n);
    }
  });

  it('S25 an error from eqFunc propagates at once, writing and notifying nothing', async () => {
    const c = kind.make();
    await c.setState('/a', 1);
    const { log, cb } = recorder();
    c.subscribe('/a', cb);
    const boom = new Error('eq failed');
    await assert.rejects(
      async () =>
        c.setState('/a', 2, {
          eqFunc: () => {
            throw boom;
          },
        }),
      (error: unknown) => error === boom,
    );
    assert.equal(await c.getState('/a'), 1);
    assert.deepEqual(log, []);
  });

  it('S25 an error from the backend write propagates, and nobody is notified', async () => {
    const spy = new SpyBackend();
    const c = kind.make(spy);
    const { log, cb } = recorder();
    c.subscribe('/', cb);
    const boom = new Error('disk full');
    spy.failWrites = boom;
    await assert.rejects(async () => c.setState('/a', 1), (error: unknown) => error === boom);
    assert.deepEqual(log, []);
    spy.failWrites = undefined;
    assert.equal(await c.getState('/a'), undefined);
  });

  it('S25 skipNotify writes without notifying and returns true', async () => {
    const c = kind.make();
    const { log, cb } = recorder();
    c.subscribe('/a', cb);
    c.subscribe('/', cb);
    assert.equal(await c.setState('/a', 1, { skipNotify: true }), true);
    assert.equal(await c.getState('/a'), 1);
    assert.deepEqual(log, []);
    assert.equal(await c.setState('/a', 1, { skipNotify: true }), false);
  });

  it('S25 a failed callback makes setState throw a RestateCallbackError, keeping the write', async () => {
    const c = kind.make();
    const boom = new Error('callback failed');
    const { log, cb } = recorder();
    c.subscribe('/a', () => {
      throw boom;
    });
    c.subscribe('/', cb);
    await assert.rejects(async () => c.setState('/a', 1), (error: unknown) => {
      assert.ok(error instanceof RestateCallbackError, String(error));
      assert.deepEqual(error.errors, [boom]);
      return true;
    });
    assert.equal(await c.getState('/a'), 1);
    assert.equal(log.length, 1);
  });

  it('S25 the notification sees the written value', async () => {
    const c = kind.make();
    const reads: unknown[] = [];
    c.subscribe('/a', (event: AnyEvent) => {
      const read = event.getState('/a');
      if (read instanceof Promise) return read.then((value: unknown) => void reads.push(value));
      reads.push(read);
      return undefined;
    });
    await c.setState('/a', 'new');
    assert.deepEqual(reads, ['new']);
  });

  it('S26 a value equal to the default on a missing path stores nothing', async () => {
    const c = kind.make();
    const { log, cb } = recorder();
    c.subscribe('/', cb);
    assert.equal(await c.setState('/a', { k: 1 }, { default: { k: 1 } }), false);
    assert.equal(await c.backend.read('/a'), MISSING);
    assert.deepEqual(log, []);
  });

  it('S26 an object equal to the merged view of a node with children is skipped', async () => {
    const c = kind.make();
    await c.setState('/p/a', 1);
    await c.setState('/p/b', 2);
    assert.equal(await c.setState('/p', { b: 2, a: 1 }), false);
    assert.deepEqual(await c.getState('/p'), { a: 1, b: 2 });
    assert.equal(await c.getState('/p/a'), 1);
  });

  it('S26 eqFunc: () => false forces the write', async () => {
    const c = kind.make();
    await c.setState('/p/a', 1);
    assert.equal(await c.setState('/p', { a: 1 }, { eqFunc: () => false }), true);
    assert.deepEqual(await c.getState('/p'), { '/': { a: 1 }, a: 1 });
    await c.setState('/v', 3);
    const { log, cb } = recorder();
    c.subscribe('/v', cb);
    assert.equal(await c.setState('/v', 3, { eqFunc: () => false }), true);
    assert.deepEqual(log, [{ emittingPath: '/v', currentPath: '/v', prevValue: 3, newValue: 3, payload: undefined }]);
  });

  it('S26 setState(path, null) on a missing path writes null', async () => {
    const c = kind.make();
    const { log, cb } = recorder();
    c.subscribe('/n', cb);
    assert.equal(await c.setState('/n', null), true);
    assert.equal(await c.backend.read('/n'), null);
    assert.deepEqual(log, [{ emittingPath: '/n', currentPath: '/n', prevValue: undefined, newValue: null, payload: undefined }]);
    assert.equal(await c.setState('/n', null), false);
  });

  it('S26 true over 1 is a change (deepEqual, not Python ==)', async () => {
    const c = kind.make();
    await c.setState('/b', 1);
    assert.equal(await c.setState('/b', true), true);
    assert.equal(await c.getState('/b'), true);
  });

  it('S26 the default equality is deepEqual', async () => {
    const c = kind.make();
    await c.setState('/x', NaN);
    assert.equal(await c.setState('/x', NaN), false);
    await c.setState('/o', { a: 1, b: [1, 2] });
    assert.equal(await c.setState('/o', { b: [1, 2], a: 1 }), false);
    assert.equal(deepEqual(await c.getState('/o'), { a: 1, b: [1, 2] }), true);
  });
});

forEachController('delState (S27)', (kind) => {
  it('S27 delState on a missing path returns false and notifies nobody', async () => {
    const c = kind.make();
    const { log, cb } = recorder();
    c.subscribe('/a', cb);
    c.subscribe('/', cb);
    assert.equal(await c.delState('/a'), false);
    assert.equal(await c.delState('/a/b/c'), false);
    assert.deepEqual(log, []);
  });

  it('S27 delState removes the subtree, notifies with the value read before, and returns true', async () => {
    const c = kind.make();
    await c.setState('/a', 'own');
    await c.setState('/a/b', 1);
    await c.setState('/keep', 2);
    const { log, cb } = recorder();
    c.subscribe('/a', cb);
    c.subscribe('/', cb);
    assert.equal(await c.delState('/a'), true);
    assert.equal(await c.getState('/a'), undefined);
    assert.equal(await c.getState('/a/b'), undefined);
    assert.deepEqual(await c.getState('/'), { keep: 2 });
    assert.deepEqual(log, [
      { emittingPath: '/a', currentPath: '/a', prevValue: { '/': 'own', b: 1 }, newValue: undefined, payload: undefined },
      { emittingPath: '/a', currentPath: '/', prevValue: { '/': 'own', b: 1 }, newValue: undefined, payload: undefined },
    ]);
  });

  it('S27 delState with skipNotify deletes, returns true and notifies nobody', async () => {
    const c = kind.make();
    await c.setState('/a/b', 1);
    const { log, cb } = recorder();
    c.subscribe('/a/b', cb);
    c.subscribe('/a', cb);
    c.subscribe('/', cb);
    assert.equal(await c.delState('/a', { skipNotify: true }), true);
    assert.equal(await c.getState('/a'), undefined);
    assert.deepEqual(log, []);
  });

  it('S27 a second delete of the same path returns false', async () => {
    const c = kind.make();
    await c.setState('/a', 1);
    assert.equal(await c.delState('/a'), true);
    assert.equal(await c.delState('/a'), false);
  });

  it('S27 delState("/") on an empty root returns false and notifies nobody', async () => {
    const c = kind.make();
    const { log, cb } = recorder();
    c.subscribe('/', cb);
    assert.equal(await c.delState('/'), false);
    assert.deepEqual(log, []);
  });

  it('S27 delState("/") clears everything, the root value included', async () => {
    const c = kind.make();
    await c.setState('/', 5);
    await c.setState('/a', 1);
    await c.setState('/b/c', 2);
    const { log, cb } = recorder();
    c.subscribe('/', cb);
    assert.equal(await c.delState('/'), true);
    assert.deepEqual(await c.getState('/'), {});
    assert.equal(await c.backend.read('/'), MISSING);
    assert.deepEqual(await c.backend.listChildren?.('/'), []);
    assert.deepEqual(log, [
      { emittingPath: '/', currentPath: '/', prevValue: { '/': 5, a: 1, b: { c: 2 } }, newValue: undefined, payload: undefined },
    ]);
    assert.equal(await c.delState('/'), false);
  });

  it('S27 delState("/") of a root holding only a value returns true', async () => {
    const c = kind.make();
    await c.setState('/', 'v');
    assert.equal(await c.delState('/'), true);
    assert.equal(await c.backend.read('/'), MISSING);
  });

  it('S27 a failed callback makes delState throw a RestateCallbackError, keeping the delete', async () => {
    const c = kind.make();
    await c.setState('/a', 1);
    c.subscribe('/a', () => {
      throw new Error('nope');
    });
    await assert.rejects(async () => c.delState('/a'), RestateCallbackError);
    assert.equal(await c.getState('/a'), undefined);
  });
});

forEachController('delState notifications (S28)', (kind) => {
  it('S28 subscribed descendants get one delivery each, deepest first, then the delete bubbles', async () => {
    const c = kind.make();
    await c.setState('/a/b/c', 1);
    await c.setState('/a/x', 2);
    await c.setState('/a/y/z', 3);
    const log: (Delivery & { sub: string })[] = [];
    const subscriber = (sub: string) => (event: AnyEvent) => {
      log.push({
        sub,
        emittingPath: event.emittingPath,
        currentPath: event.currentPath,
        prevValue: event.prevValue,
        newValue: event.newValue,
        payload: event.payload,
      });
    };
    c.subscribe('/a/b/c', subscriber('/a/b/c'));
    c.subscribe('/a/*', subscriber('/a/*'));
    c.subscribe('/a', subscriber('/a'));
    c.subscribe('/', subscriber('/'));
    const merged = { b: { c: 1 }, x: 2, y: { z: 3 } };
    assert.equal(await c.delState('/a', { payload: 'p' }), true);
    assert.deepEqual(log, [
      { sub: '/a/b/c', emittingPath: '/a/b/c', currentPath: '/a/b/c', prevValue: 1, newValue: undefined, payload: 'p' },
      { sub: '/a/*', emittingPath: '/a/b', currentPath: '/a/b', prevValue: { c: 1 }, newValue: undefined, payload: 'p' },
      { sub: '/a/*', emittingPath: '/a/x', currentPath: '/a/x', prevValue: 2, newValue: undefined, payload: 'p' },
      { sub: '/a/*', emittingPath: '/a/y', currentPath: '/a/y', prevValue: { z: 3 }, newValue: undefined, payload: 'p' },
      { sub: '/a', emittingPath: '/a', currentPath: '/a', prevValue: merged, newValue: undefined, payload: 'p' },
      { sub: '/', emittingPath: '/a', currentPath: '/', prevValue: merged, newValue: undefined, payload: 'p' },
    ]);
  });
});

forEachController('ping (S29)', (kind) => {
  it('S29 ping notifies with prevValue = newValue = the current value and writes nothing', async () => {
    const spy = new SpyBackend();
    const c = kind.make(spy);
    await c.setState('/a/b', 'v');
    const { log, cb } = recorder();
    c.subscribe('/a/b', cb);
    c.subscribe('/', cb);
    spy.calls.length = 0;
    assert.equal(await c.ping('/a/b'), undefined);
    assert.deepEqual(log, [
      { emittingPath: '/a/b', currentPath: '/a/b', prevValue: 'v', newValue: 'v', payload: undefined },
      { emittingPath: '/a/b', currentPath: '/', prevValue: 'v', newValue: 'v', payload: undefined },
    ]);
    assert.deepEqual(spy.calls.filter((call) => call.startsWith('write') || call.startsWith('delete')), []);
  });

  it('S29 ping of a missing path uses the default and writes nothing', async () => {
    const c = kind.make();
    const { log, cb } = recorder();
    c.subscribe('/m', cb);
    await c.ping('/m', { default: 7 });
    await c.ping('/m');
    assert.deepEqual(log, [
      { emittingPath: '/m', currentPath: '/m', prevValue: 7, newValue: 7, payload: undefined },
      { emittingPath: '/m', currentPath: '/m', prevValue: undefined, newValue: undefined, payload: undefined },
    ]);
    assert.equal(await c.backend.read('/m'), MISSING);
  });

  it('S29 ping of a parent gives its merged view', async () => {
    const c = kind.make();
    await c.setState('/p/x', 1);
    const { log, cb } = recorder();
    c.subscribe('/p', cb);
    await c.ping('/p', { default: 'unused' });
    assert.deepEqual(log, [{ emittingPath: '/p', currentPath: '/p', prevValue: { x: 1 }, newValue: { x: 1 }, payload: undefined }]);
  });

  it('S29 a failed callback makes ping throw a RestateCallbackError', async () => {
    const c = kind.make();
    c.subscribe('/a', () => {
      throw new Error('nope');
    });
    await assert.rejects(async () => c.ping('/a'), RestateCallbackError);
  });
});

forEachController('payload (S30)', (kind) => {
  it('S30 the payload of setState reaches every level, by reference', async () => {
    const c = kind.make();
    const payload = { who: 'test' };
    const { log, cb } = recorder();
    c.subscribe('/a/b/c', cb);
    c.subscribe('/a/b', cb);
    c.subscribe('/a', cb);
    c.subscribe('/', cb);
    await c.setState('/a/b/c', 1, { payload });
    assert.deepEqual(
      log.map((d) => d.currentPath),
      ['/a/b/c', '/a/b', '/a', '/'],
    );
    for (const delivery of log) assert.equal(delivery.payload, payload);
  });

  it('S30 the payload of delState and ping reaches every level', async () => {
    const c = kind.make();
    await c.setState('/a/b', 1);
    const { log, cb } = recorder();
    c.subscribe('/a/b', cb);
    c.subscribe('/', cb);
    const pingPayload = ['ping'];
    const deletePayload = (): string => 'delete';
    await c.ping('/a/b', { payload: pingPayload });
    await c.delState('/a/b', { payload: deletePayload });
    assert.equal(log.length, 4);
    assert.equal(log[0]?.payload, pingPayload);
    assert.equal(log[1]?.payload, pingPayload);
    assert.equal(log[2]?.payload, deletePayload);
    assert.equal(log[3]?.payload, deletePayload);
  });

  it('S30 the payload may be any value, and is undefined when not given', async () => {
    const c = kind.make();
    const { log, cb } = recorder();
    c.subscribe('/', cb);
    const payloads: unknown[] = [0, null, 'text', Symbol('p'), new Map(), undefined];
    let n = 0;
    for (const payload of payloads) await c.setState('/a', ++n, { payload });
    await c.setState('/a', ++n);
    assert.deepEqual(
      log.map((d) => d.payload),
      [...payloads, undefined],
    );
  });

  it('S30 cause labels the trace record only', async () => {
    const c = kind.make();
    const records: TraceRecord[] = [];
    c.onTrace((record) => records.push(record));
    const { log, cb } = recorder();
    c.subscribe('/a', cb);
    await c.setState('/a', 1, { cause: 'file' });
    await c.setState('/a', 2);
    const causes = records.filter((r) => r.kind === 'set').map((r) => r.cause);
    assert.deepEqual(causes, ['file', 'api']);
    assert.equal(log.length, 2);
    assert.deepEqual(log[0], { emittingPath: '/a', currentPath: '/a', prevValue: undefined, newValue: 1, payload: undefined });
  });
});
