// track and untrack (S66–S71): ids, first runs, recorded reads, reconciled subscriptions, overlapping async runs.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { ControllerAsync, RestateCallbackError, RestateCycleError } from '../../../extension/restate/index';
import { callbackFor } from './callback-for';
import type { AnyEvent } from './callback-for';
import type { AnyController } from './controllers';
import { forEachController } from './controllers';

/** The index is internal; a leftover pair would only show as a leak, so these tests look inside. */
function subscriptionIndexIsEmpty(c: AnyController): boolean {
  return (c as unknown as { engine: { subscriptions: { isEmpty: boolean } } }).engine.subscriptions.isEmpty;
}

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The tracker's current reads from the graph snapshot, sorted. */
function readsOf(c: AnyController, id: string): string[] | undefined {
  const node = c.graph().nodes.find((n) => n.id === id);
  return node?.kind === 'tracker' ? [...node.reads].sort() : undefined;
}

interface SeenEvent {
  emittingPath: string;
  currentPath: string;
  prevValue: unknown;
  newValue: unknown;
  payload: unknown;
}

function describeEvent(e: AnyEvent): SeenEvent {
  return { emittingPath: e.emittingPath, currentPath: e.currentPath, prevValue: e.prevValue, newValue: e.newValue, payload: e.payload };
}

forEachController('S66 track', (kind) => {
  it('S66 tracker ids are track:1, track:2, … counted per controller', async () => {
    const c = kind.make();
    assert.equal(await c.track(() => undefined), 'track:1');
    assert.equal(await c.track(() => undefined), 'track:2');
    assert.equal(await kind.make().track(() => undefined), 'track:1');
  });

  it('S119 a tracker shows in the graph by its name option, else by its callback\'s name, else by id alone', async () => {
    const c = kind.make();
    const named = await c.track(() => undefined, { name: 'visible items' });
    const byFunction = await c.track(function summary() {
      return undefined;
    });
    const anonymous = await c.track(() => undefined);
    const names = Object.fromEntries(c.graph().nodes.filter((n) => n.kind === 'tracker').map((n) => [n.id, n.kind === 'tracker' ? n.name : undefined]));
    assert.deepEqual(names, { [named]: 'visible items', [byFunction]: 'summary', [anonymous]: undefined });
    assert.ok(!('name' in c.graph().nodes.find((n) => n.id === anonymous)!), 'an unnamed tracker has no name field');
    await assert.rejects(async () => c.track(() => undefined, { name: ' ' }), /a tracker's name must be a non-empty string/);
  });

  it('S66 the first run happens at once, with a root event carrying the payload', async () => {
    const c = kind.make();
    const seen: SeenEvent[] = [];
    await c.track((e) => {
      seen.push(describeEvent(e));
    }, { payload: { from: 'track' } });
    assert.deepEqual(seen, [{ emittingPath: '/', currentPath: '/', prevValue: undefined, newValue: undefined, payload: { from: 'track' } }]);
  });

  it('S40 S67 a tracked run\'s event has the own fields of a subscriber\'s event and no others; its helpers and stopBubbling work', async () => {
    const c = kind.make();
    let plainKeys: string[] = [];
    c.subscribe('/a', (e) => {
      plainKeys = Object.keys(e).sort();
    });
    const trackedKeys: string[][] = [];
    const bubbling: boolean[] = [];
    await c.track(
      callbackFor(kind, function* (e) {
        trackedKeys.push(Object.keys(e).sort());
        const a = yield e.getState('/a');
        if (a === 1) {
          yield e.setState('/copy', 'one');
          yield e.delState('/gone');
          bubbling.push(e.bubbling);
          e.stopBubbling();
          bubbling.push(e.bubbling);
        }
      }),
    );
    await c.setState('/gone', true);
    await c.setState('/a', 1);
    assert.deepEqual(plainKeys, ['controller', 'currentPath', 'emittingPath', 'newValue', 'payload', 'prevValue']);
    assert.deepEqual(trackedKeys, [plainKeys, plainKeys]);
    assert.equal(await c.getState('/copy'), 'one');
    assert.equal(await c.getState('/gone'), undefined);
    assert.deepEqual(bubbling, [true, false]);
    assert.deepEqual(readsOf(c, 'track:1'), ['/a']);
  });

  it('S32 S68 at one path, callbacks and trackers\' reads run in the order their pairs were made, as trackers stop and start reading it', async () => {
    const c = kind.make();
    const order: string[] = [];
    c.subscribe('/x', () => {
      order.push('first');
    });
    for (let i = 0; i < 40; i++) {
      await c.track(
        callbackFor(kind, function* (e) {
          const off = yield e.getState(`/off/${i}`);
          if (off === true) return;
          yield e.getState('/x');
          order.push(`t${i}`);
        }),
      );
    }
    c.subscribe('/x', () => {
      order.push('last');
    });
    // Thirty of the forty stop reading /x: enough removed pairs for the path's list to be compacted.
    for (let i = 0; i < 30; i++) await c.setState(`/off/${i}`, true);
    const stillReading = Array.from({ length: 10 }, (_, k) => `t${30 + k}`);
    order.length = 0;
    await c.setState('/x', 1);
    assert.deepEqual(order, ['first', ...stillReading, 'last']);
    // A tracker that reads /x again makes a new pair, which comes after every older one.
    await c.setState('/off/5', false);
    order.length = 0;
    await c.setState('/x', 2);
    assert.deepEqual(order, ['first', ...stillReading, 'last', 't5']);
    for (let i = 30; i < 40; i++) await c.setState(`/off/${i}`, true);
    order.length = 0;
    await c.setState('/x', 3);
    assert.deepEqual(order, ['first', 'last', 't5']);
  });

  it('S66 later runs get the triggering event at the level where it matched', async () => {
    const c = kind.make();
    const seen: SeenEvent[] = [];
    await c.track(
      callbackFor(kind, function* (e) {
        yield e.getState('/a');
        seen.push(describeEvent(e));
      }),
      { payload: 'first' },
    );
    await c.setState('/a/b', 1, { payload: 'write' });
    assert.deepEqual(seen[1], { emittingPath: '/a/b', currentPath: '/a', prevValue: undefined, newValue: 1, payload: 'write' });
    assert.equal(seen.length, 2);
  });

  it('S66 an error of the first run is rethrown unchanged and the tracker keeps the reads made before it', async () => {
    const c = kind.make();
    const boom = new Error('boom: /x is missing');
    const values: unknown[] = [];
    await assert.rejects(
      async () => {
        await c.track(
          callbackFor(kind, function* (e) {
            const x = yield e.getState('/x');
            values.push(x);
            if (x === undefined) throw boom;
          }),
        );
      },
      (error: unknown) => error === boom,
    );
    assert.deepEqual(readsOf(c, 'track:1'), ['/x']);
    await c.setState('/x', 1);
    assert.deepEqual(values, [undefined, 1]);
  });

  it('S66 S24 a tracked read gives the default for a missing path, writes it with writeDefault, and is recorded either way', async () => {
    const c = kind.make();
    const seen: unknown[] = [];
    await c.track(
      callbackFor(kind, function* (e) {
        seen.push(yield e.getState('/plain', { default: 'p' }), yield e.getState('/written', { default: 'w', writeDefault: true }));
      }),
    );
    assert.deepEqual(seen, ['p', 'w']);
    assert.equal(await c.getState('/plain'), undefined);
    assert.equal(await c.getState('/written'), 'w');
    assert.deepEqual(readsOf(c, 'track:1'), ['/plain', '/written']);
    await c.setState('/plain', 'changed');
    assert.deepEqual(seen.slice(2), ['changed', 'w']);
  });

  it('S66 reads through an event kept after its run still read, and do not change what the tracker follows', async () => {
    const c = kind.make();
    let kept: AnyEvent | undefined;
    let runs = 0;
    await c.track(
      callbackFor(kind, function* (e) {
        runs++;
        kept = e;
        yield e.getState('/a');
      }),
    );
    await c.setState('/late', 'value');
    assert.equal(await kept?.getState('/late'), 'value');
    assert.deepEqual(readsOf(c, 'track:1'), ['/a']);
    await c.setState('/late', 'again');
    await c.setState('/a', 1);
    assert.equal(runs, 2);
    assert.deepEqual(readsOf(c, 'track:1'), ['/a']);
  });

  it('S66 S45 failures of later runs are collected under the tracker id', async () => {
    const c = kind.make();
    const boom = new Error('negative');
    await c.track(
      callbackFor(kind, function* (e) {
        const x = yield e.getState('/x');
        if (typeof x === 'number' && x < 0) throw boom;
      }),
    );
    await assert.rejects(
      async () => {
        await c.setState('/x', -1);
      },
      (error: unknown) => {
        assert.ok(error instanceof RestateCallbackError);
        assert.deepEqual(
          error.failures.map((f) => [f.callbackId, f.path, f.emittingPath, f.error]),
          [['track:1', '/x', '/x', boom]],
        );
        return true;
      },
    );
    assert.equal(await c.getState('/x'), -1);
  });
});

forEachController('S67 recorded reads', (kind) => {
  it("S67 only reads through the run's own event are recorded; controller reads and writes are not", async () => {
    const c = kind.make();
    let runs = 0;
    await c.track(
      callbackFor(kind, function* (e) {
        runs++;
        yield e.getState('/viaEvent');
        yield c.getState('/viaController');
        yield e.setState('/written', 'constant');
        yield c.setState('/writtenByController', 'constant');
      }),
    );
    assert.deepEqual(readsOf(c, 'track:1'), ['/viaEvent']);
    await c.setState('/viaController', 1);
    await c.setState('/written', 'changed');
    await c.setState('/writtenByController', 'changed');
    assert.equal(runs, 1);
    await c.setState('/viaEvent', 1);
    assert.equal(runs, 2);
  });

  it('S67 a read through an event of a plain callback is not recorded by a tracker', async () => {
    const c = kind.make();
    let runs = 0;
    c.subscribe(
      '/trigger',
      callbackFor(kind, function* (e) {
        yield e.getState('/readByPlainCallback');
      }),
    );
    await c.track(
      callbackFor(kind, function* (e) {
        runs++;
        yield e.getState('/trigger');
        yield e.setState('/trigger', 'set by the tracker');
      }),
    );
    assert.deepEqual(readsOf(c, 'track:1'), ['/trigger']);
    await c.setState('/readByPlainCallback', 1);
    assert.equal(runs, 1);
  });
});

it('S67 in ControllerAsync, reads after an await are recorded, and concurrent controller reads are not', async () => {
  const c = new ControllerAsync();
  let runs = 0;
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const tracking = c.track(async (e) => {
    runs++;
    await e.getState('/before');
    await gate;
    await delay(1);
    await e.getState('/after');
  });
  await delay(1);
  await c.getState('/concurrent');
  release();
  assert.equal(await tracking, 'track:1');
  assert.deepEqual(readsOf(c, 'track:1'), ['/after', '/before']);
  await c.setState('/concurrent', 1);
  assert.equal(runs, 1);
  await c.setState('/after', 1);
  assert.equal(runs, 2);
});

forEachController('S68 reconciling subscriptions', (kind) => {
  it('S68 the feature-flag tracker drops /legacy/data once the flag is off', async () => {
    //  /features/legacy ──► track:1 ◄── /legacy/data   (flag on)
    //  /features/legacy ──► track:1 ◄── /new/data      (flag off: /legacy/data is cut)
    const c = kind.make();
    await c.setState('/features/legacy', true);
    const runs: string[] = [];
    await c.track(
      callbackFor(kind, function* (e) {
        if (yield e.getState('/features/legacy')) {
          runs.push('legacy');
          yield e.getState('/legacy/data');
        } else {
          runs.push('new');
          yield e.getState('/new/data');
        }
      }),
    );
    assert.deepEqual(readsOf(c, 'track:1'), ['/features/legacy', '/legacy/data']);
    await c.setState('/features/legacy', false);
    assert.deepEqual(readsOf(c, 'track:1'), ['/features/legacy', '/new/data']);
    runs.length = 0;
    await c.setState('/legacy/data', 'ignored now');
    assert.deepEqual(runs, []);
    await c.setState('/new/data', 'heard');
    assert.deepEqual(runs, ['new']);
  });

  it('S68 a failed run also reconciles: reads made before the error replace the old ones', async () => {
    const c = kind.make();
    const boom = new Error('x mode fails');
    let runs = 0;
    await c.track(
      callbackFor(kind, function* (e) {
        runs++;
        if (yield e.getState('/flag')) {
          yield e.getState('/x');
          throw boom;
        }
        yield e.getState('/y');
      }),
    );
    assert.deepEqual(readsOf(c, 'track:1'), ['/flag', '/y']);
    await assert.rejects(async () => {
      await c.setState('/flag', true);
    }, RestateCallbackError);
    assert.deepEqual(readsOf(c, 'track:1'), ['/flag', '/x']);
    await c.setState('/y', 1);
    assert.equal(runs, 2, '/y is no longer a dependency');
    await assert.rejects(async () => {
      await c.setState('/x', 1);
    }, RestateCallbackError);
    assert.equal(runs, 3);
  });

  it('S68 reads are recorded as canonical exact paths, without duplicates', async () => {
    const c = kind.make();
    await c.track(
      callbackFor(kind, function* (e) {
        yield e.getState('b');
        yield e.getState('/a');
        yield e.getState('/b/');
      }),
    );
    const node = c.graph().nodes.find((n) => n.id === 'track:1');
    assert.ok(node?.kind === 'tracker');
    assert.deepEqual([...node.reads].sort(), ['/a', '/b']);
  });

  it('S68 a run that reads many paths, each twice, records each once, in first-read order', async () => {
    const c = kind.make();
    const paths = Array.from({ length: 40 }, (_, i) => `/many/${i}`);
    await c.track(
      callbackFor(kind, function* (e) {
        for (const path of paths) yield e.getState(path);
        for (const path of [...paths].reverse()) yield e.getState(path);
      }),
    );
    const node = c.graph().nodes.find((n) => n.id === 'track:1');
    assert.ok(node?.kind === 'tracker');
    assert.deepEqual(node.reads, paths);
  });
  it('S68 later runs that read the same paths, repeat them, read fewer, reorder or read more are each reconciled', async () => {
    const c = kind.make();
    const many = Array.from({ length: 20 }, (_, i) => `/m/${i}`);
    const twice = (paths: string[]): string[] => paths.flatMap((path) => [path, path]);
    // Each run reads /go, then the current plan; what it must follow is each path once, in first-read order.
    const plans: { reads: string[]; follows: string[] }[] = [
      { reads: ['/a', '/b', '/c'], follows: ['/a', '/b', '/c'] },
      { reads: ['/a', '/b', '/c'], follows: ['/a', '/b', '/c'] },
      { reads: ['/a', '/a', '/b', '/a', '/c', '/b'], follows: ['/a', '/b', '/c'] },
      { reads: ['/a', '/b'], follows: ['/a', '/b'] },
      { reads: ['/b', '/a'], follows: ['/b', '/a'] },
      { reads: ['/b', '/a', '/d'], follows: ['/b', '/a', '/d'] },
      { reads: twice(many), follows: many },
      { reads: twice(many), follows: many },
      { reads: [...many, '/d', ...many.slice(0, 5)], follows: [...many, '/d'] },
      { reads: [], follows: [] },
    ];
    const universe = ['/go', '/a', '/b', '/c', '/d', ...many];
    let plan = 0;
    await c.track(
      callbackFor(kind, function* (e) {
        yield e.getState('/go');
        for (const path of plans[plan].reads) yield e.getState(path);
      }),
    );
    const index = (c as unknown as { engine: { subscriptions: { has(pattern: string, id: string): boolean } } }).engine.subscriptions;
    for (plan = 0; plan < plans.length; plan++) {
      if (plan > 0) await c.setState('/go', plan);
      const follows = ['/go', ...plans[plan].follows];
      const node = c.graph().nodes.find((n) => n.id === 'track:1');
      assert.ok(node?.kind === 'tracker');
      assert.deepEqual(node.reads, follows, `reads after plan ${plan}`);
      const subscribed = universe.filter((path) => index.has(path, 'track:1'));
      assert.deepEqual(subscribed.sort(), [...follows].sort(), `subscriptions after plan ${plan}`);
    }
    assert.equal(c.untrack('track:1'), true);
    assert.equal(subscriptionIndexIsEmpty(c), true);
  });
});

forEachController('S69 bubbling of tracked reads', (kind) => {
  it('S69 a tracker that read /users re-runs when /users/1/name changes', async () => {
    const c = kind.make();
    let runs = 0;
    await c.track(
      callbackFor(kind, function* (e) {
        runs++;
        yield e.getState('/users');
      }),
    );
    await c.setState('/users/1/name', 'Ann');
    assert.equal(runs, 2);
  });

  it('S69 a tracker that read /cfg/theme does not re-run when an object is written to /cfg', async () => {
    //  /cfg  ◄── write {theme: 'dark'}: bubbles up to /, never down to /cfg/theme
    //   └─ theme ──► track:1
    const c = kind.make();
    let runs = 0;
    await c.track(
      callbackFor(kind, function* (e) {
        runs++;
        yield e.getState('/cfg/theme');
      }),
    );
    await c.setState('/cfg', { theme: 'dark' });
    assert.equal(runs, 1);
    await c.setState('/cfg/theme', 'light');
    assert.equal(runs, 2);
  });

  it('S69 S28 deleting /cfg re-runs a tracker that read the existing node /cfg/theme', async () => {
    const c = kind.make();
    await c.setState('/cfg/theme', 'light');
    const seen: SeenEvent[] = [];
    await c.track(
      callbackFor(kind, function* (e) {
        seen.push(describeEvent(e));
        yield e.getState('/cfg/theme');
      }),
    );
    await c.delState('/cfg', { payload: 'gone' });
    assert.deepEqual(seen.slice(1), [
      { emittingPath: '/cfg/theme', currentPath: '/cfg/theme', prevValue: 'light', newValue: undefined, payload: 'gone' },
    ]);
  });
});

forEachController('S70 trackers run once per change', (kind) => {
  it('S70 a tracker that read /a and /a/b runs once per write to /a/b/c', async () => {
    const c = kind.make();
    const levels: string[] = [];
    await c.track(
      callbackFor(kind, function* (e) {
        levels.push(e.currentPath);
        yield e.getState('/a');
        yield e.getState('/a/b');
      }),
    );
    await c.setState('/a/b/c', 1);
    assert.deepEqual(levels, ['/', '/a/b']);
  });

  it('S70 S42 a tracker ignores stopBubbling', async () => {
    const c = kind.make();
    let runs = 0;
    let rootRuns = 0;
    c.subscribe('/a/b', (e: AnyEvent) => e.stopBubbling());
    c.subscribe('/', () => {
      rootRuns++;
    });
    await c.track(
      callbackFor(kind, function* (e) {
        runs++;
        yield e.getState('/a');
      }),
    );
    await c.setState('/a/b', 1);
    assert.equal(runs, 2);
    assert.equal(rootRuns, 0);
  });

  it('S70 S36 a tracker that writes what it reads runs nested until the value converges', async () => {
    const c = kind.make();
    let runs = 0;
    await c.track(
      callbackFor(kind, function* (e) {
        runs++;
        const n = yield e.getState('/n');
        if (typeof n === 'number' && n < 10) yield e.setState('/n', n + 1);
      }),
    );
    await c.setState('/n', 0);
    assert.equal(await c.getState('/n'), 10);
    assert.equal(runs, 12, 'the first run, then one run for each value 0 to 10');
    assert.deepEqual(readsOf(c, 'track:1'), ['/n']);
  });

  it('S70 S38 a tracker that never converges ends in a RestateCycleError', async () => {
    const c = kind.make(undefined, { maxDepth: 8 });
    await c.track(
      callbackFor(kind, function* (e) {
        const n = yield e.getState('/n');
        if (typeof n === 'number') yield e.setState('/n', n + 1);
      }),
    );
    await assert.rejects(
      async () => {
        await c.setState('/n', 0);
      },
      (error: unknown) => error instanceof RestateCycleError && error.limit === 8 && error.chain.length === 9,
    );
    assert.equal(await c.getState('/n'), 7, 'changes up to the depth limit were written');
  });
});

forEachController('S71 untrack', (kind) => {
  it('S71 untrack by id removes one tracker and its subscriptions', async () => {
    const c = kind.make();
    let runs = 0;
    const tracked = callbackFor(kind, function* (e) {
      runs++;
      yield e.getState('/a');
    });
    const first = await c.track(tracked);
    await c.track(tracked);
    assert.equal(c.untrack(first), true);
    assert.equal(c.untrack(first), false);
    runs = 0;
    await c.setState('/a', 1);
    assert.equal(runs, 1, 'the other tracker running the same function stays');
    assert.deepEqual(
      c.graph().nodes.filter((n) => n.kind === 'tracker').map((n) => n.id),
      ['track:2'],
    );
  });

  it('S71 a tracker that untracks itself during a run leaves no subscription behind when the run ends', async () => {
    const c = kind.make();
    let id = '';
    const tracked = callbackFor(kind, function* (e) {
      yield e.getState('/a');
      if (id === '') return;
      yield e.getState('/b');
      c.untrack(id);
    });
    id = await c.track(tracked);
    await c.setState('/a', 1);
    assert.equal(subscriptionIndexIsEmpty(c), true);
    assert.equal(readsOf(c, id), undefined);
  });

  it('S71 untrack removes the subscriptions of every path the tracker read', async () => {
    const c = kind.make();
    const id = await c.track(
      callbackFor(kind, function* (e) {
        yield e.getState('/a');
        yield e.getState('/b');
      }),
    );
    await c.setState('/a', 1);
    assert.equal(subscriptionIndexIsEmpty(c), false);
    assert.equal(c.untrack(id), true);
    assert.equal(subscriptionIndexIsEmpty(c), true);
  });

  it('S71 untrack by function removes every tracker running it', async () => {
    const c = kind.make();
    let runs = 0;
    const tracked = callbackFor(kind, function* (e) {
      runs++;
      yield e.getState('/a');
    });
    let otherRuns = 0;
    await c.track(tracked);
    await c.track(tracked);
    await c.track(
      callbackFor(kind, function* (e) {
        otherRuns++;
        yield e.getState('/a');
      }),
    );
    assert.equal(c.untrack(tracked), true);
    assert.equal(c.untrack(tracked), false);
    runs = 0;
    await c.setState('/a', 1);
    assert.equal(runs, 0);
    assert.equal(otherRuns, 2);
    assert.deepEqual(
      c.graph().edges.filter((e) => e.kind === 'read'),
      [{ from: '/a', to: 'track:3', kind: 'read' }],
    );
  });

  it('S71 untrack of an unknown id or function returns false; S52 removeCallback on a tracker id is untrack', async () => {
    const c = kind.make();
    assert.equal(c.untrack('track:99'), false);
    assert.equal(c.untrack(() => undefined), false);
    let runs = 0;
    const id = await c.track(
      callbackFor(kind, function* (e) {
        runs++;
        yield e.getState('/a');
      }),
    );
    assert.equal(c.removeCallback(id), true);
    await c.setState('/a', 1);
    assert.equal(runs, 1);
    assert.equal(c.untrack(id), false);
  });
});

it('S71 overlapping async runs: the latest-started run that finished decides, an older one finishing later is ignored', async () => {
  //  run A (mode slow) ──start──────────────────────────── finish: reads /mode, /slow   → ignored
  //  run B (mode fast)        ──start── finish: reads /mode, /fast                      → decides
  const c = new ControllerAsync();
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const runs: string[] = [];
  await c.track(async (e) => {
    const mode = await e.getState('/mode');
    runs.push(String(mode));
    if (mode === 'slow') {
      await gate;
      await e.getState('/slow');
    } else {
      await e.getState('/fast');
    }
  });
  const slowWrite = c.setState('/mode', 'slow');
  await delay(2);
  await c.setState('/mode', 'fast');
  assert.deepEqual(readsOf(c, 'track:1'), ['/fast', '/mode']);
  release();
  await slowWrite;
  assert.deepEqual(readsOf(c, 'track:1'), ['/fast', '/mode'], 'the older run finished last and is ignored');
  runs.length = 0;
  await c.setState('/slow', 1);
  assert.deepEqual(runs, []);
  await c.setState('/fast', 1);
  assert.deepEqual(runs, ['fast']);
});

it('S71 an async run still in flight changes no subscriptions until it finishes', async () => {
  const c = new ControllerAsync();
  let releaseNew: () => void = () => undefined;
  const newGate = new Promise<void>((resolve) => {
    releaseNew = resolve;
  });
  await c.track(async (e) => {
    const mode = await e.getState('/mode');
    if (mode === 'new') {
      await newGate;
      await e.getState('/newDep');
    } else {
      await e.getState('/oldDep');
    }
  });
  const newWrite = c.setState('/mode', 'new');
  await delay(2);
  assert.deepEqual(readsOf(c, 'track:1'), ['/mode', '/oldDep'], 'the unfinished run decides nothing yet');
  releaseNew();
  await newWrite;
  assert.deepEqual(readsOf(c, 'track:1'), ['/mode', '/newDep']);
});
