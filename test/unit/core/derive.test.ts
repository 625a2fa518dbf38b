// derive and deriveMany (S57–S65): ids, registration, once-per-change runs, dest writes, DeriveData, chains.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ControllerAsync,
  ControllerSync,
  DeriveData,
  RestateCallbackError,
  RestateCycleError,
  RestatePathError,
  RestateUsageError,
  StatePath,
} from '../../../extension/restate/index';
import type { AnyEvent } from './callback-for';
import { forEachController } from './controllers';

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

forEachController('S57 derivation ids', (kind) => {
  it("S57 'x', '/x', StatePath('x') and an atom at /x all name the derivation 'derive:/x'", async () => {
    const c = kind.make();
    const calls: string[] = [];
    assert.equal(await c.derive('x', '/src', () => {
      calls.push('plain');
      return 1;
    }), 'derive:/x');
    assert.equal(await c.derive('/x', '/src', () => {
      calls.push('slash');
      return 2;
    }), 'derive:/x');
    assert.equal(await c.derive(new StatePath('x'), '/src', () => {
      calls.push('statePath');
      return 3;
    }), 'derive:/x');
    assert.equal(await c.derive(c.atom('/x'), '/src', () => {
      calls.push('atom');
      return 4;
    }), 'derive:/x');
    calls.length = 0;
    await c.setState('/src', 1);
    assert.deepEqual(calls, ['atom'], 'only the last registration runs: the others were replaced');
    assert.equal(await c.getState('/x'), 4);
    assert.equal(c.graph().nodes.filter((n) => n.kind === 'derivation').length, 1);
  });

  it("S57 deriveMany uses the same id scheme as derive, so one replaces the other", async () => {
    const c = kind.make();
    assert.equal(await c.derive('/d', '/a', () => 'single'), 'derive:/d');
    assert.equal(await c.deriveMany('d/', ['/a', '/b'], () => 'many'), 'derive:/d');
    assert.equal(await c.getState('/d'), 'many');
    assert.equal(c.graph().nodes.filter((n) => n.kind === 'derivation').length, 1);
  });

  it('S57 derive hands its transform data.get(source), the value at the source', async () => {
    const c = kind.make();
    await c.setState('/s', 5);
    const seen: unknown[] = [];
    await c.derive('/d', 's', (value) => {
      seen.push(value);
      return typeof value === 'number' ? value * 10 : null;
    });
    assert.equal(await c.getState('/d'), 50);
    await c.setState('/s', 6);
    assert.equal(await c.getState('/d'), 60);
    assert.deepEqual(seen, [5, 6]);
  });

  it('S57 S7 a dest may not be a pattern, while sources may', async () => {
    const c = kind.make();
    await assert.rejects(async () => {
      await c.derive('/out/*', '/src', () => 1);
    }, RestatePathError);
    await assert.rejects(async () => {
      await c.deriveMany('/out/*', ['/src'], () => 1);
    }, RestatePathError);
    assert.equal(await c.deriveMany('/out', ['/users/*/name'], () => 1), 'derive:/out');
  });
});

forEachController('S58 registering a derivation', (kind) => {
  it('S58 the first run happens at once with a root event and the derive payload reaches the dest write', async () => {
    const c = kind.make();
    await c.setState('/a', 1);
    await c.setState('/b/x', 2);
    const destEvents: { payload: unknown; newValue: unknown }[] = [];
    c.subscribe('/sum', (e: AnyEvent) => {
      destEvents.push({ payload: e.payload, newValue: e.newValue });
    });
    const runs: { emittingPath: string; a: unknown; b: unknown; sources: readonly string[] }[] = [];
    const id = await c.deriveMany(
      '/sum',
      ['/a', 'b'],
      (data) => {
        runs.push({ emittingPath: data.emittingPath, a: data.get('/a'), b: data.get('/b'), sources: data.sources });
        return 'computed';
      },
      { payload: { by: 'derive' } },
    );
    assert.equal(id, 'derive:/sum');
    assert.deepEqual(runs, [{ emittingPath: '/', a: 1, b: { x: 2 }, sources: ['/a', '/b'] }]);
    assert.equal(await c.getState('/sum'), 'computed', 'the dest is written before derive returns');
    assert.deepEqual(destEvents, [{ payload: { by: 'derive' }, newValue: 'computed' }]);
  });

  it('S58 listing a source twice subscribes it once', async () => {
    const c = kind.make();
    let runs = 0;
    await c.deriveMany('/d', ['/a', 'a', '/a/'], () => ++runs);
    runs = 0;
    await c.setState('/a', 1);
    assert.equal(runs, 1);
    const sourceEdges = c.graph().edges.filter((e) => e.kind === 'source');
    assert.deepEqual(sourceEdges, [{ from: '/a', to: 'derive:/d', kind: 'source' }]);
  });

  it('S58 re-deriving replaces both the transform and the sources', async () => {
    const c = kind.make();
    const calls: string[] = [];
    await c.derive('/d', '/old', () => {
      calls.push('old transform');
      return 'old';
    });
    await c.derive('/d', '/new', () => {
      calls.push('new transform');
      return 'new';
    });
    calls.length = 0;
    await c.setState('/old', 1);
    assert.deepEqual(calls, [], 'the old source is no longer subscribed');
    await c.setState('/new', 1);
    assert.deepEqual(calls, ['new transform']);
    const edges = c.graph().edges.filter((e) => e.to === 'derive:/d' || e.from === 'derive:/d');
    assert.deepEqual(edges, [
      { from: '/new', to: 'derive:/d', kind: 'source' },
      { from: 'derive:/d', to: '/d', kind: 'dest' },
    ]);
  });
});

forEachController('S59 when a derivation runs', (kind) => {
  it('S59 a derivation with sources /a and /a/b runs once per write to /a/b/c', async () => {
    // /a ────┐
    //        ├──► derive:/out   a write to /a/b/c bubbles through /a/b and /a: one run, not two
    // /a/b ──┘
    const c = kind.make();
    const emitting: string[] = [];
    await c.deriveMany('/out', ['/a', '/a/b'], (data) => {
      emitting.push(data.emittingPath);
      return emitting.length;
    });
    emitting.length = 0;
    await c.setState('/a/b/c', 1);
    assert.deepEqual(emitting, ['/a/b/c']);
    await c.delState('/a/b/c');
    assert.deepEqual(emitting, ['/a/b/c', '/a/b/c']);
    await c.ping('/a/b');
    assert.deepEqual(emitting, ['/a/b/c', '/a/b/c', '/a/b']);
  });

  it('S59 a change below a source triggers a run, a sibling or an ancestor alone does not', async () => {
    const c = kind.make();
    let runs = 0;
    await c.derive('/out', '/cfg/ui', () => ++runs);
    runs = 0;
    await c.setState('/cfg/ui/theme', 'dark');
    assert.equal(runs, 1);
    await c.setState('/cfg/other', 1);
    await c.setState('/cfgx', 1);
    assert.equal(runs, 1);
    await c.setState('/cfg', 'own value of the parent');
    assert.equal(runs, 1, 'notification bubbles upwards only');
  });

  it('S59 S55 a pattern source triggers on a matching path and below it', async () => {
    const c = kind.make();
    const emitting: string[] = [];
    await c.deriveMany('/names', ['/users/*/name'], (data) => {
      emitting.push(data.emittingPath);
      return emitting.length;
    });
    emitting.length = 0;
    await c.setState('/users/1/name', 'Ann');
    await c.setState('/users/2/name/first', 'Bo');
    await c.setState('/users/1/email', 'x@y');
    await c.setState('/users/name', 'no');
    assert.deepEqual(emitting, ['/users/1/name', '/users/2/name/first']);
  });

  it('S59 S42 a derivation ignores stopBubbling', async () => {
    const c = kind.make();
    const rootSeen: string[] = [];
    c.subscribe('/a/b', (e: AnyEvent) => e.stopBubbling());
    c.subscribe('/', (e: AnyEvent) => {
      rootSeen.push(e.emittingPath);
    });
    await c.derive('/out', '/a', (value) => (isRecord(value) ? value.b : null));
    rootSeen.length = 0;
    await c.setState('/a/b', 7);
    assert.equal(await c.getState('/out'), 7);
    assert.deepEqual(rootSeen, ['/out'], 'the root hears the dest write, but not the stopped /a/b change');
  });
});

forEachController('S60 the dest write', (kind) => {
  it('S60 the dest is written with default equality, so its subscribers only hear real changes', async () => {
    const c = kind.make();
    let runs = 0;
    await c.derive('/parity', '/n', (n) => {
      runs++;
      return { odd: typeof n === 'number' && n % 2 === 1 };
    });
    const heard: unknown[] = [];
    c.subscribe('/parity', (e: AnyEvent) => {
      heard.push(e.newValue);
    });
    for (const n of [2, 4, 3, 5, 7, 8]) await c.setState('/n', n);
    assert.equal(runs, 7);
    assert.deepEqual(heard, [{ odd: true }, { odd: false }]);
  });

  it('S60 the dest is written into the tree again after the dest, its parent or the root was deleted', async () => {
    const c = kind.make();
    await c.derive('/out/d', '/n', (n) => (typeof n === 'number' ? n + 1 : 0));
    let n = 0;
    for (const deleted of ['/out/d', '/out', '/']) {
      await c.setState('/n', ++n);
      await c.delState(deleted);
      await c.setState('/n', ++n);
      assert.deepEqual(await c.getState('/out'), { d: n + 1 }, `after deleting ${deleted}`);
    }
  });

  it("S60 the dest write carries the derive's payload, not the triggering write's", async () => {
    const c = kind.make();
    const payloads: unknown[] = [];
    c.subscribe('/d', (e: AnyEvent) => {
      payloads.push(e.payload);
    });
    await c.derive('/d', '/s', (v) => v, { payload: 'from-derive' });
    await c.setState('/s', 1, { payload: 'from-set' });
    assert.deepEqual(payloads, ['from-derive']);
  });

  it('S60 a result of undefined deletes the dest', async () => {
    const c = kind.make();
    await c.derive('/d', '/s', (v) => v);
    await c.setState('/s', 1);
    assert.equal(await c.getState('/d'), 1);
    const heard: { prevValue: unknown; newValue: unknown }[] = [];
    c.subscribe('/d', (e: AnyEvent) => {
      heard.push({ prevValue: e.prevValue, newValue: e.newValue });
    });
    await c.delState('/s');
    assert.equal(await c.getState('/d', { default: 'gone' }), 'gone');
    assert.deepEqual(heard, [{ prevValue: 1, newValue: undefined }]);
    assert.equal(c.graph().nodes.some((n) => n.id === 'derive:/d'), true, 'deleting the dest keeps the derivation');
  });

  it('S60 an error of the first run is rethrown unchanged, and the derivation stays registered', async () => {
    const c = kind.make();
    const boom = new Error('boom: source missing');
    await assert.rejects(
      async () => {
        await c.derive('/d', '/s', (v) => {
          if (typeof v !== 'number') throw boom;
          return v * 2;
        });
      },
      (error: unknown) => error === boom,
    );
    await c.setState('/s', 21);
    assert.equal(await c.getState('/d'), 42);
  });

  it("S60 a failing dest subscriber makes the first run throw the dest write's RestateCallbackError", async () => {
    const c = kind.make();
    const subscriberError = new Error('dest subscriber failed');
    c.subscribe('/d', () => {
      throw subscriberError;
    });
    await assert.rejects(
      async () => {
        await c.derive('/d', '/s', () => 'value');
      },
      (error: unknown) => error instanceof RestateCallbackError && error.errors.length === 1 && error.errors[0] === subscriberError,
    );
    assert.equal(await c.getState('/d'), 'value', 'the dest write stays');
  });

  it('S60 S45 later errors are collected, the source write stays and the dest keeps its value', async () => {
    const c = kind.make();
    const boom = new Error('negative');
    await c.derive('/d', '/s', (v) => {
      if (typeof v === 'number' && v < 0) throw boom;
      return v ?? 0;
    });
    await c.setState('/s', 3);
    const rootSeen: string[] = [];
    c.subscribe('/', (e: AnyEvent) => {
      rootSeen.push(e.emittingPath);
    });
    await assert.rejects(
      async () => {
        await c.setState('/s', -1);
      },
      (error: unknown) => {
        assert.ok(error instanceof RestateCallbackError);
        assert.equal(error.failures.length, 1);
        const failure = error.failures[0];
        assert.ok(failure);
        assert.equal(failure.callbackId, 'derive:/d');
        assert.equal(failure.path, '/s');
        assert.equal(failure.emittingPath, '/s');
        assert.equal(failure.error, boom);
        return true;
      },
    );
    assert.equal(await c.getState('/s'), -1);
    assert.equal(await c.getState('/d'), 3);
    assert.deepEqual(rootSeen, ['/s'], 'delivery continued to the root after the failure');
  });
});

describe('S61 DeriveData is typed by the controller running it', () => {
  // The annotations below compile only while deriveMany and deriveFrom give each controller's own type.
  it('S61 ControllerSync.deriveMany and Atom.deriveFrom hand the transform a DeriveData<ControllerSync>', () => {
    const c = new ControllerSync();
    const seen: ControllerSync[] = [];
    c.deriveMany('/viaController', ['/a'], (data: DeriveData<ControllerSync>) => {
      const controller: ControllerSync = data.controller;
      seen.push(controller);
      return controller.getState('/a');
    });
    c.atom<number>('/viaAtom').deriveFrom(['/a'], (data) => {
      const controller: ControllerSync = data.controller;
      seen.push(controller);
      return 1;
    });
    assert.deepEqual(seen, [c, c]);
  });

  it('S61 ControllerAsync.deriveMany and AtomAsync.deriveFrom hand the transform a DeriveData<ControllerAsync>', async () => {
    const c = new ControllerAsync();
    const seen: ControllerAsync[] = [];
    await c.deriveMany('/viaController', ['/a'], async (data: DeriveData<ControllerAsync>) => {
      const controller: ControllerAsync = data.controller;
      seen.push(controller);
      return controller.getState('/a');
    });
    await c.atom<number>('/viaAtom').deriveFrom(['/a'], (data) => {
      const controller: ControllerAsync = data.controller;
      seen.push(controller);
      return 1;
    });
    assert.deepEqual(seen, [c, c]);
  });
});

forEachController('S61 DeriveData', (kind) => {
  it('S61 a DeriveData carries the controller, the canonical sources and the emitting path', async () => {
    const c = kind.make();
    const seen: { isData: boolean; sameController: boolean; sources: readonly string[]; emittingPath: string }[] = [];
    await c.deriveMany('/out', ['a', '/b/', '/users/*/name'], (data) => {
      seen.push({
        isData: data instanceof DeriveData,
        sameController: data.controller === c,
        sources: [...data.sources],
        emittingPath: data.emittingPath,
      });
      return seen.length;
    });
    await c.setState('/a/deep', 1);
    const sources = ['/a', '/b', '/users/*/name'];
    assert.deepEqual(seen, [
      { isData: true, sameController: true, sources, emittingPath: '/' },
      { isData: true, sameController: true, sources, emittingPath: '/a/deep' },
    ]);
  });

  it("S61 the emitting source gets the event's newValue; an ancestor source is re-read as a merged view", async () => {
    const c = kind.make();
    await c.setState('/a/k', 1);
    const seen: unknown[] = [];
    await c.deriveMany('/out', ['/a'], (data) => {
      seen.push(data.get('/a'));
      return seen.length;
    });
    await c.setState('/a', 5);
    await c.setState('/a/k', 2);
    assert.deepEqual(seen, [{ k: 1 }, 5, { '/': 5, k: 2 }]);
  });

  it('S61 get accepts any PathLike and gives undefined for paths that are not sources', async () => {
    const c = kind.make();
    await c.setState('/other', 'exists');
    await c.setState('/a', 1);
    const seen: unknown[][] = [];
    await c.deriveMany('/out', ['/a'], (data) => {
      seen.push([data.get('a'), data.get(new StatePath('/a')), data.get({ path: '/a' }), data.get('/other'), data.get('/')]);
      return 0;
    });
    assert.deepEqual(seen, [[1, 1, 1, undefined, undefined]]);
  });

  it('S61 a pattern source gives what it matched at the level of the run, and undefined otherwise', async () => {
    //   /users/*/name ──┐
    //   /posts/*     ───┼──► derive:/out
    //   /total       ───┘
    const c = kind.make();
    await c.setState('/total', 10);
    const seen: { emitting: string; match: unknown; name: unknown; postMatch: unknown; post: unknown; total: unknown }[] = [];
    await c.deriveMany('/out', ['/users/*/name', '/posts/*', '/total'], (data) => {
      seen.push({
        emitting: data.emittingPath,
        match: data.matchedPath('/users/*/name'),
        name: data.get('/users/*/name'),
        postMatch: data.matchedPath('posts/*'),
        post: data.get('/posts/*'),
        total: data.get('/total'),
      });
      return seen.length;
    });
    await c.setState('/users/1/name', 'Ann');
    await c.setState('/users/2/name/first', 'Bo');
    await c.setState('/posts/9', { title: 't' });
    assert.deepEqual(seen, [
      { emitting: '/', match: undefined, name: undefined, postMatch: undefined, post: undefined, total: 10 },
      { emitting: '/users/1/name', match: '/users/1/name', name: 'Ann', postMatch: undefined, post: undefined, total: 10 },
      { emitting: '/users/2/name/first', match: '/users/2/name', name: { first: 'Bo' }, postMatch: undefined, post: undefined, total: 10 },
      { emitting: '/posts/9', match: undefined, name: undefined, postMatch: '/posts/9', post: { title: 't' }, total: 10 },
    ]);
  });
});

forEachController('S62 transforms that return promises', (kind) => {
  it('S62 ControllerAsync awaits a transform that returns a promise; S39 ControllerSync refuses it', async () => {
    const c = kind.make();
    await c.setState('/s', 2);
    const transform = async (value: unknown): Promise<unknown> => {
      await delay(2);
      return typeof value === 'number' ? value * 100 : null;
    };
    if (kind.isAsync) {
      await c.derive('/d', '/s', transform);
      assert.equal(await c.getState('/d'), 200, 'derive resolves after the first run wrote the dest');
      await c.setState('/s', 3);
      assert.equal(await c.getState('/d'), 300, 'setState resolves after the dest write');
    } else {
      await assert.rejects(async () => {
        await c.derive('/d', '/s', transform);
      }, RestateUsageError);
      await assert.rejects(
        async () => {
          await c.setState('/s', 3);
        },
        (error: unknown) => error instanceof RestateCallbackError && error.errors[0] instanceof RestateUsageError,
      );
      assert.equal(await c.getState('/d'), undefined);
    }
  });

  it('S62 S39 a rejected promise from a transform fails the run without an unhandled rejection', async () => {
    const c = kind.make();
    const rejection = new Error('async transform failed');
    await assert.rejects(async () => {
      await c.derive('/d', '/s', () => Promise.reject(rejection));
    }, (error: unknown) => (kind.isAsync ? error === rejection : error instanceof RestateUsageError));
    await delay(5);
  });
});

forEachController('S63 chains of derivations', (kind) => {
  it('S63 a → b → c runs depth-first: a root subscriber hears /c, /b, /a', async () => {
    //  /a ──derive:/b──► /b ──derive:/c──► /c
    //  setState(/a) runs derive:/b, whose write runs derive:/c, before /a bubbles to the root.
    const c = kind.make();
    await c.derive('/b', '/a', (v) => (typeof v === 'number' ? v + 1 : 0));
    await c.derive('/c', '/b', (v) => (typeof v === 'number' ? v * 10 : 0));
    const seenAtA: unknown[] = [];
    c.subscribe(
      '/a',
      kind.isAsync
        ? async (e: AnyEvent) => {
            seenAtA.push(await e.getState('/c'));
          }
        : (e: AnyEvent) => {
            seenAtA.push(e.getState('/c'));
          },
    );
    const rootSeen: string[] = [];
    c.subscribe('/', (e: AnyEvent) => {
      rootSeen.push(e.emittingPath);
    });
    await c.setState('/a', 1);
    assert.deepEqual(rootSeen, ['/c', '/b', '/a']);
    assert.deepEqual(seenAtA, [20], 'the chain finished before the later /a subscriber ran');
    assert.equal(await c.getState('/c'), 20);
  });
});

forEachController('S64 a dest under its own source', (kind) => {
  it('S64 the derivation re-runs on its own write until the value converges', async () => {
    //  /a ◄──────────────┐
    //   └─ derive:/a/size ┘   the dest write bubbles back to /a and re-runs it once more
    const c = kind.make();
    const childCount = (value: unknown): number =>
      isRecord(value) ? Object.keys(value).filter((k) => k !== '/' && k !== 'size').length : 0;
    let runs = 0;
    await c.derive('/a/size', '/a', (value) => {
      runs++;
      return childCount(value);
    });
    assert.equal(await c.getState('/a/size'), 0);
    runs = 0;
    await c.setState('/a/x', 1);
    assert.equal(await c.getState('/a/size'), 1);
    assert.equal(runs, 2, 'one run for /a/x, one for its own write, which is equal and stops');
    await c.setState('/a/y', 1);
    assert.equal(await c.getState('/a/size'), 2);
  });

  it('S64 S38 a derivation that never converges ends in a RestateCycleError, keeping earlier writes', async () => {
    const c = kind.make(undefined, { maxDepth: 10 });
    let counter = 0;
    await c.derive('/loop/v', '/loop', (value) => (isRecord(value) && value.go === true ? ++counter : 'idle'));
    assert.equal(await c.getState('/loop/v'), 'idle');
    await assert.rejects(
      async () => {
        await c.setState('/loop/go', true);
      },
      (error: unknown) => {
        assert.ok(error instanceof RestateCycleError, 'never wrapped in a RestateCallbackError');
        assert.equal(error.limit, 10);
        assert.equal(error.chain.length, 11);
        assert.equal(error.chain[0], '/loop/go');
        assert.equal(error.chain[10], '/loop/v');
        return true;
      },
    );
    assert.equal(await c.getState('/loop/go'), true);
    assert.equal(await c.getState('/loop/v'), 9, 'the changes at depths 2 to 10 were written, the 11th refused');
  });
});

forEachController('S65 underive', (kind) => {
  it('S65 underive by dest or by id removes the derivation and its subscriptions, and keeps the value', async () => {
    const c = kind.make();
    for (const destOrId of ['x', '/x', 'derive:/x']) {
      let runs = 0;
      await c.derive('/x', '/src', () => ++runs);
      assert.equal(c.underive(destOrId), true, `underive(${destOrId})`);
      assert.equal(c.underive(destOrId), false, `a second underive(${destOrId}) removes nothing`);
      await c.setState('/src', Math.random());
      assert.equal(runs, 1, 'no run after underive');
      assert.equal(await c.getState('/x'), 1, 'the dest keeps its value');
      assert.deepEqual(c.graph(), { nodes: [], edges: [] });
    }
  });

  it('S65 underive accepts an atom or a StatePath as the dest', async () => {
    const c = kind.make();
    await c.derive('/x', '/src', () => 1);
    assert.equal(c.underive(c.atom('/x')), true);
    await c.derive('/x', '/src', () => 1);
    assert.equal(c.underive(new StatePath('/x')), true);
  });

  it('S65 underive of an unknown dest or id returns false', async () => {
    const c = kind.make();
    await c.derive('/x', '/src', () => 1);
    assert.equal(c.underive('/y'), false);
    assert.equal(c.underive('derive:/y'), false);
    assert.equal(c.graph().nodes.some((n) => n.id === 'derive:/x'), true);
  });

  it('S65 S52 removeCallback on a derivation id is underive', async () => {
    const c = kind.make();
    let runs = 0;
    await c.derive('/x', '/src', () => ++runs);
    assert.equal(c.removeCallback('derive:/x'), true);
    await c.setState('/src', 1);
    assert.equal(runs, 1);
  });
});
