// Notification order, once-per-level rules, nesting and the depth guard (S31–S39).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ControllerAsync,
  ControllerSync,
  RestateCallbackError,
  RestateCycleError,
  RestateUsageError,
} from '../../../extension/restate/index';
import { controllerKinds, forEachController } from './controllers';
import type { Engine } from '../../../extension/restate/engine';
import type { AnyEvent } from './callback-for';

/** A callback that logs `tag@currentPath`. */
function recorder(log: string[], tag: string): (event: AnyEvent) => void {
  return (event) => {
    log.push(`${tag}@${event.currentPath}`);
  };
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** A runaway cycle must fail its test, not hang the run. */
const GUARD_TIMEOUT_MS = 20_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function isCycleError(err: unknown): err is RestateCycleError {
  return err instanceof RestateCycleError;
}

forEachController('notification order', (kind) => {
  it('S31 a change is delivered at the path, then each ancestor up to the root, root last', async () => {
    const c = kind.make();
    const log: string[] = [];
    // Subscribed out of level order on purpose: delivery follows the levels, not the subscription order.
    c.subscribe('/', recorder(log, 'root'));
    c.subscribe('/a/b', recorder(log, 'ab'));
    c.subscribe('/a/b/c', recorder(log, 'abc'));
    c.subscribe('/a', recorder(log, 'a'));
    await c.setState('/a/b/c', 1);
    assert.deepEqual(log, ['abc@/a/b/c', 'ab@/a/b', 'a@/a', 'root@/']);
  });

  it('S31 siblings and descendants of the changed path are never visited', async () => {
    const c = kind.make();
    const log: string[] = [];
    await c.setState('/a/b/c/d', 0);
    await c.setState('/a/x', 0);
    c.subscribe('/a/b/c/d', recorder(log, 'descendant'));
    c.subscribe('/a/x', recorder(log, 'sibling'));
    c.subscribe('/a/bb', recorder(log, 'prefix-sibling'));
    c.subscribe('/a', recorder(log, 'a'));
    await c.setState('/a/b', 1);
    assert.deepEqual(log, ['a@/a']);
  });

  it('S31 a write to the root is delivered once, at the root', async () => {
    const c = kind.make();
    const log: string[] = [];
    c.subscribe('/', recorder(log, 'root'));
    c.subscribe('/a', recorder(log, 'a'));
    await c.setState('/', 5);
    assert.deepEqual(log, ['root@/']);
  });

  it('S31 deletes and pings bubble the same way', async () => {
    const c = kind.make();
    const log: string[] = [];
    await c.setState('/a/b', 1);
    c.subscribe('/a/b', recorder(log, 'ab'));
    c.subscribe('/a', recorder(log, 'a'));
    c.subscribe('/', recorder(log, 'root'));
    await c.ping('/a/b');
    await c.delState('/a/b');
    assert.deepEqual(log, ['ab@/a/b', 'a@/a', 'root@/', 'ab@/a/b', 'a@/a', 'root@/']);
  });

  it('S32 at a level, exact subscriptions come first, then wildcard ones, each in subscription order', async () => {
    const c = kind.make();
    const log: string[] = [];
    c.subscribe('/a/*', recorder(log, 'P1'));
    c.subscribe('/a/b', recorder(log, 'E1'));
    c.subscribe('/*/b', recorder(log, 'P2'));
    c.subscribe('/a/b', recorder(log, 'E2'));
    await c.setState('/a/b', 1);
    assert.deepEqual(log, ['E1@/a/b', 'E2@/a/b', 'P1@/a/b', 'P2@/a/b']);
  });

  it('S32 subscription order is the order the (path, id) pairs were created, not the order of the ids', async () => {
    const c = kind.make();
    const log: string[] = [];
    const first = c.registerCallback(recorder(log, 'first-registered'));
    const second = c.registerCallback(recorder(log, 'second-registered'));
    c.subscribeById('/x', second);
    c.subscribeById('/x', first);
    await c.setState('/x', 1);
    assert.deepEqual(log, ['second-registered@/x', 'first-registered@/x']);
  });

  it('S32 re-subscribing an existing pair keeps its place', async () => {
    const c = kind.make();
    const log: string[] = [];
    const a = recorder(log, 'A');
    const idA = c.subscribe('/x', a);
    c.subscribe('/x', recorder(log, 'B'));
    c.subscribe('/x', a);
    c.subscribeById('/x', idA);
    await c.setState('/x', 1);
    assert.deepEqual(log, ['A@/x', 'B@/x']);
  });

  it('S32 replace keeps the place of every subscription of the id', async () => {
    const c = kind.make();
    const log: string[] = [];
    c.subscribe('/x', recorder(log, 'old'), { forceId: 'k' });
    c.subscribe('/x', recorder(log, 'B'));
    c.subscribe('/*', recorder(log, 'P'));
    c.subscribe('/*', recorder(log, 'old'), { forceId: 'k2' });
    c.subscribe('/x', recorder(log, 'new'), { forceId: 'k', replace: true });
    c.subscribe('/*', recorder(log, 'new2'), { forceId: 'k2', replace: true });
    await c.setState('/x', 1);
    assert.deepEqual(log, ['new@/x', 'B@/x', 'P@/x', 'new2@/x']);
  });

  it('S33 a callback subscribed exactly and by pattern runs once at a level, at its first place', async () => {
    const c = kind.make();
    const log: string[] = [];
    const f = recorder(log, 'f');
    c.subscribe('/a/*', f);
    c.subscribe('/a/b', recorder(log, 'X'));
    c.subscribe('/a/*', recorder(log, 'P'));
    c.subscribe('/a/b', f);
    await c.setState('/a/b', 1);
    assert.deepEqual(log, ['X@/a/b', 'f@/a/b', 'P@/a/b']);
  });

  it('S33 a callback matched by two patterns at one level runs once, at the first', async () => {
    const c = kind.make();
    const log: string[] = [];
    const f = recorder(log, 'f');
    c.subscribe('/a/*', f);
    c.subscribe('/*/b', recorder(log, 'g'));
    c.subscribe('/*/b', f);
    c.subscribe('/*/*', f);
    await c.setState('/a/b', 1);
    assert.deepEqual(log, ['f@/a/b', 'g@/a/b']);
  });

  it('S33 a plain callback runs at every level where it is subscribed', async () => {
    const c = kind.make();
    const log: string[] = [];
    const f = recorder(log, 'f');
    c.subscribe('/a/b', f);
    c.subscribe('/a', f);
    c.subscribe('/', f);
    await c.setState('/a/b/c', 1);
    assert.deepEqual(log, ['f@/a/b', 'f@/a', 'f@/']);
  });

  it('S33 a plain callback subscribed at a level and by a pattern matching another level runs at both', async () => {
    const c = kind.make();
    const log: string[] = [];
    const f = recorder(log, 'f');
    c.subscribe('/users/*/name', f);
    c.subscribe('/users', f);
    await c.setState('/users/1/name', 'Ada');
    assert.deepEqual(log, ['f@/users/1/name', 'f@/users']);
  });
});

forEachController('system callbacks once per change', (kind) => {
  it('S34 a derivation with sources at two levels runs once per write below both', async () => {
    const c = kind.make();
    let runs = 0;
    await c.deriveMany('/out', ['/a', '/a/b'], () => ++runs);
    assert.equal(runs, 1);
    await c.setState('/a/b/c', 1);
    assert.equal(runs, 2);
    assert.equal(await c.getState('/out'), 2);
  });

  it('S34 a derivation matched exactly and by a pattern at one level runs once', async () => {
    const c = kind.make();
    let runs = 0;
    await c.deriveMany('/out', ['/a/*', '/a/b', '/*/b'], () => ++runs);
    await c.setState('/a/b', 1);
    assert.equal(runs, 2);
  });

  it('S34 a tracker that read two levels runs once per write below both', async () => {
    const c = kind.make();
    let runs = 0;
    await c.track((event) => {
      runs++;
      const first = event.getState('/a');
      const second = event.getState('/a/b');
      return kind.isAsync ? Promise.all([first, second]) : undefined;
    });
    assert.equal(runs, 1);
    await c.setState('/a/b/c', 1);
    assert.equal(runs, 2);
    await c.setState('/a/b', 2);
    assert.equal(runs, 3);
  });

  // setState('/a/b')            outer change: D runs at /a/b, writes /out
  //   └ /out callback writes /a/c   nested change: D runs at /a
  //   back in the outer change, level /a: D already ran here, so it must not run again
  it('S34 a derivation a nested change ran again still runs once in the enclosing change', async () => {
    const c = kind.make();
    let runs = 0;
    await c.deriveMany('/out', ['/a/b', '/a'], () => ++runs);
    let wrote = false;
    c.subscribe('/out', (event) => {
      if (wrote) return undefined;
      wrote = true;
      return event.setState('/a/c', 1);
    });
    await c.setState('/a/b', 1);
    assert.equal(runs, 3, 'the first run, the outer change at /a/b, the nested change at /a');
    await c.setState('/a/b', 2);
    assert.equal(runs, 4, 'the next change runs it again');
  });

  // setState('/a/b')                 outer change: D runs at /a/b
  //   ├ first /a/b callback writes /a/c    nested change: D runs at /a
  //   └ second /a/b callback writes /a/d   another nested change: D runs at /a
  //   back in the outer change, level /a: D already ran here, so it must not run again
  it('S34 a derivation two nested changes in a row ran again still runs once in the enclosing change', async () => {
    const c = kind.make();
    let runs = 0;
    await c.deriveMany('/out', ['/a/b', '/a'], () => ++runs);
    c.subscribe('/a/b', (event) => event.setState('/a/c', event.newValue));
    c.subscribe('/a/b', (event) => event.setState('/a/d', event.newValue));
    await c.setState('/a/b', 1);
    assert.equal(runs, 4, 'the first run, the outer change, and each nested change');
    // The same, with the outer change itself nested in another.
    c.subscribe('/go', (event) => event.setState('/a/b', event.newValue));
    await c.setState('/go', 2);
    assert.equal(runs, 7);
  });

  it('S34 every notification closes, nested ones, failed ones and cycles included, so none is left marked open', async () => {
    const c = kind.make(undefined, { maxDepth: 8 });
    // The controller's own record of its open notifications, which only ControllerSync keeps.
    const openNotificationCount = (): number => (c as unknown as { engine: Engine }).engine.open?.depth ?? 0;
    assert.equal(openNotificationCount(), 0);
    await c.deriveMany('/out', ['/a/b', '/a'], (data) => data.get('/a/b') ?? 0);
    c.subscribe('/out', (event) => (event.newValue === 1 ? event.setState('/a/c', 1) : undefined));
    c.subscribe('/fail', () => {
      throw new Error('fails');
    });
    await c.derive('/loop/b', '/loop/a', (v) => v);
    await c.setState('/a/b', 1);
    await assert.rejects(async () => {
      await c.setState('/fail', 1);
    }, RestateCallbackError);
    await assert.rejects(async () => {
      await c.derive('/loop/a', '/loop/b', (v) => (typeof v === 'number' ? v + 1 : 0));
    }, RestateCycleError);
    await c.batch(() => c.setState('/a/b', 2));
    assert.equal(openNotificationCount(), 0);
  });

  it('S34 a delete is one change across both steps of S28', async () => {
    const c = kind.make();
    await c.setState('/a/x', 1);
    await c.setState('/a/y', 2);
    let runs = 0;
    await c.deriveMany('/out', ['/a/x', '/a/*', '/a'], () => ++runs);
    await c.delState('/a');
    assert.equal(runs, 2);
  });

  it('S34 a ping is one change', async () => {
    const c = kind.make();
    let runs = 0;
    await c.deriveMany('/out', ['/a', '/a/b', '/*/b'], () => ++runs);
    await c.ping('/a/b');
    assert.equal(runs, 2);
  });

  it('S34 a whole batch flush is one change', async () => {
    const c = kind.make();
    let runs = 0;
    await c.deriveMany('/out', ['/a'], () => ++runs);
    if (kind.isAsync) {
      await c.batch(async () => {
        await c.setState('/a/b', 1);
        await c.setState('/a/c', 2);
      });
    } else {
      c.batch(() => {
        c.setState('/a/b', 1);
        c.setState('/a/c', 2);
      });
    }
    assert.equal(runs, 2);
  });

  it('S34 a plain callback at two levels still runs at both while the derivation runs once', async () => {
    const c = kind.make();
    const log: string[] = [];
    const f = recorder(log, 'f');
    c.subscribe('/a/b', f);
    c.subscribe('/a', f);
    await c.deriveMany('/out', ['/a', '/a/b'], () => {
      log.push('derive');
      return 1;
    });
    log.length = 0;
    await c.setState('/a/b', 1);
    assert.deepEqual(log, ['f@/a/b', 'derive', 'f@/a']);
  });
});

forEachController('changing subscriptions during a notification', (kind) => {
  it('S35 a subscription removed during delivery at a level does not run later at that level', async () => {
    const c = kind.make();
    const log: string[] = [];
    let idB = '';
    c.subscribe('/x', (event) => {
      log.push(`A@${event.currentPath}`);
      c.unsubscribe('/x', idB);
    });
    idB = c.subscribe('/x', recorder(log, 'B'));
    c.subscribe('/', recorder(log, 'B'), { forceId: 'b-root' });
    await c.setState('/x', 1);
    // B's root subscription is another id and was not removed.
    assert.deepEqual(log, ['A@/x', 'B@/']);
  });

  it('S35 a callback removed during a notification runs at no later level', async () => {
    const c = kind.make();
    const log: string[] = [];
    const b = recorder(log, 'B');
    c.subscribe('/x/y', (event) => {
      log.push(`A@${event.currentPath}`);
      c.removeCallback(c.registerCallback(b));
    });
    c.subscribe('/x/y', b);
    c.subscribe('/x', b);
    c.subscribe('/', b);
    await c.setState('/x/y', 1);
    assert.deepEqual(log, ['A@/x/y']);
  });

  it('S35 a subscription at a higher level removed during delivery does not run', async () => {
    const c = kind.make();
    const log: string[] = [];
    const up = recorder(log, 'up');
    c.subscribe('/x/y', (event) => {
      log.push(`A@${event.currentPath}`);
      c.unsubscribe('/x', up);
    });
    c.subscribe('/x', up);
    c.subscribe('/', up);
    await c.setState('/x/y', 1);
    assert.deepEqual(log, ['A@/x/y', 'up@/']);
  });

  it('S35 a derivation removed during a notification does not run', async () => {
    const c = kind.make();
    let runs = 0;
    c.subscribe('/x/y', () => {
      c.underive('/out');
    });
    await c.derive('/out', '/x', () => ++runs);
    await c.setState('/x/y', 1);
    assert.equal(runs, 1);
    assert.equal(await c.getState('/out'), 1);
  });

  it('S35 a subscription removed and added again during delivery at a level does not run at that level', async () => {
    const c = kind.make();
    const log: string[] = [];
    const b = recorder(log, 'B');
    let idB = '';
    c.subscribe('/x', (event) => {
      log.push(`A@${event.currentPath}`);
      if (event.newValue === 1) {
        c.unsubscribe('/x', idB);
        c.subscribe('/x', b);
      }
    });
    idB = c.subscribe('/x', b);
    await c.setState('/x', 1);
    assert.deepEqual(log, ['A@/x']);
    await c.setState('/x', 2);
    assert.deepEqual(log, ['A@/x', 'A@/x', 'B@/x']);
  });

  it('S35 a subscription added during delivery at a level takes effect from the next level', async () => {
    const c = kind.make();
    const log: string[] = [];
    const late = recorder(log, 'late');
    let added = false;
    c.subscribe('/x/y', (event) => {
      log.push(`A@${event.currentPath}`);
      if (!added) {
        added = true;
        c.subscribe('/x/y', late);
        c.subscribe('/x', late);
        c.subscribe('/*/y', recorder(log, 'pattern'));
      }
    });
    await c.setState('/x/y', 1);
    assert.deepEqual(log, ['A@/x/y', 'late@/x']);
    log.length = 0;
    await c.setState('/x/y', 2);
    assert.deepEqual(log, ['A@/x/y', 'late@/x/y', 'pattern@/x/y', 'late@/x']);
  });
});

forEachController('nested changes', (kind) => {
  it('S36 a write inside a callback is completely notified before the outer delivery continues', async () => {
    const c = kind.make();
    const log: string[] = [];
    c.subscribe('/src', (event) => event.setState('/mirror', event.newValue));
    c.subscribe('/src', recorder(log, 'src-after'));
    c.subscribe('/mirror', recorder(log, 'mirror'));
    c.subscribe('/', (event) => {
      log.push(`root:${event.emittingPath}`);
    });
    await c.setState('/src', 1);
    assert.deepEqual(log, ['mirror@/mirror', 'root:/mirror', 'src-after@/src', 'root:/src']);
    assert.equal(await c.getState('/mirror'), 1);
  });

  it('S36 a write through the controller inside a callback is nested the same way', async () => {
    const c = kind.make();
    const log: string[] = [];
    c.subscribe('/src', (event) => c.setState('/mirror', event.newValue));
    c.subscribe('/src', recorder(log, 'src-after'));
    c.subscribe('/', (event) => {
      log.push(`root:${event.emittingPath}`);
    });
    await c.setState('/src', 1);
    assert.deepEqual(log, ['root:/mirror', 'src-after@/src', 'root:/src']);
  });

  it('S36 a nested change runs its own derivations and trackers before the outer delivery continues', async () => {
    const c = kind.make();
    const log: string[] = [];
    c.subscribe('/src', (event) => event.setState('/mirror', event.newValue));
    c.subscribe('/src', recorder(log, 'src-after'));
    c.subscribe('/mirror', recorder(log, 'mirror'));
    await c.derive('/m2', '/mirror', (value) => (value === undefined ? undefined : `m2:${String(value)}`));
    await c.track((event) => {
      log.push('tracker');
      return event.getState('/m2');
    });
    c.subscribe('/', (event) => {
      log.push(`root:${event.emittingPath}`);
    });
    log.length = 0;
    await c.setState('/src', 1);
    assert.deepEqual(log, [
      'mirror@/mirror',
      'tracker',
      'root:/m2',
      'root:/mirror',
      'src-after@/src',
      'root:/src',
    ]);
    assert.equal(await c.getState('/m2'), 'm2:1');
  });

  it('S36 a nested delete is also completely notified first', async () => {
    const c = kind.make();
    const log: string[] = [];
    await c.setState('/gone', 1);
    c.subscribe('/src', (event) => event.delState('/gone'));
    c.subscribe('/src', recorder(log, 'src-after'));
    c.subscribe('/', (event) => {
      log.push(`root:${event.emittingPath}:${String(event.newValue)}`);
    });
    await c.setState('/src', 1);
    assert.deepEqual(log, ['root:/gone:undefined', 'src-after@/src', 'root:/src:1']);
  });
});

describe('ControllerAsync awaits callbacks in order', () => {
  for (const kind of controllerKinds.filter((k) => k.isAsync)) {
    it(`S37 each callback is awaited before the next, and setState resolves after all [${kind.name}]`, async () => {
      const c = kind.make();
      const log: string[] = [];
      c.subscribe('/a/b', async () => {
        log.push('A start');
        await sleep(15);
        log.push('A end');
      });
      c.subscribe('/a/b', async () => {
        log.push('B start');
        await sleep(1);
        log.push('B end');
      });
      c.subscribe('/a', async (event) => {
        log.push('up start');
        await event.setState('/n', 1);
        await sleep(5);
        log.push('up end');
      });
      c.subscribe('/n', async () => {
        await sleep(5);
        log.push('nested');
      });
      await c.setState('/a/b', 1);
      assert.deepEqual(log, ['A start', 'A end', 'B start', 'B end', 'up start', 'nested', 'up end']);
    });

    it(`S37 independent top-level calls are not serialised [${kind.name}]`, async () => {
      const c = kind.make();
      const gate = deferred();
      c.subscribe('/a', async () => {
        await gate.promise;
      });
      c.subscribe('/b', () => {
        gate.resolve();
      });
      const both = Promise.all([c.setState('/a', 1), c.setState('/b', 1)]);
      const timeout = sleep(2000).then(() => 'timeout');
      assert.deepEqual(await Promise.race([both, timeout]), [true, true]);
    });
  }
});

forEachController('depth guard', (kind) => {
  /** Subscribes a link at /d<i> that writes its value on to /d<i+1>, for i < links. */
  function chain(c: ReturnType<typeof kind.make>, links: number): void {
    for (let i = 0; i < links; i++) {
      c.subscribe(`/d${i}`, (event) => event.setState(`/d${i + 1}`, event.newValue));
    }
  }

  it('S38 with maxDepth set, a runaway ping-pong is refused at the limit with a RestateCycleError carrying the chain and the limit', { timeout: GUARD_TIMEOUT_MS }, async () => {
    const c = kind.make(undefined, { maxDepth: 10 });
    c.subscribe('/ping', (event) => event.setState('/pong', (event.newValue as number) + 1));
    // Through the controller rather than the event: still a nested change (S36).
    c.subscribe('/pong', (event) => c.setState('/ping', (event.newValue as number) + 1));
    await assert.rejects(
      async () => {
        await c.setState('/ping', 0);
      },
      (err: unknown) => {
        assert.ok(isCycleError(err), `expected a RestateCycleError, got ${String(err)}`);
        assert.equal(err.code, 'cycle');
        assert.equal(err.limit, 10);
        assert.deepEqual(
          err.chain,
          Array.from({ length: 11 }, (_, i) => (i % 2 === 0 ? '/ping' : '/pong')),
        );
        return true;
      },
    );
    // Depth d wrote d - 1; the eleventh change (/ping = 10) was refused before it wrote.
    assert.equal(await c.getState('/ping'), 8);
    assert.equal(await c.getState('/pong'), 9);
  });

  it('S38 the maxDepth option sets the limit, and earlier writes stay', { timeout: GUARD_TIMEOUT_MS }, async () => {
    const c = kind.make(undefined, { maxDepth: 3 });
    chain(c, 10);
    await assert.rejects(
      async () => {
        await c.setState('/d0', 'v');
      },
      (err: unknown) => {
        assert.ok(isCycleError(err), `expected a RestateCycleError, got ${String(err)}`);
        assert.equal(err.limit, 3);
        assert.deepEqual(err.chain, ['/d0', '/d1', '/d2', '/d3']);
        return true;
      },
    );
    assert.equal(await c.getState('/d0'), 'v');
    assert.equal(await c.getState('/d1'), 'v');
    assert.equal(await c.getState('/d2'), 'v');
    assert.equal(await c.getState('/d3'), undefined);
  });

  it('S38 a chain exactly as deep as maxDepth is allowed', { timeout: GUARD_TIMEOUT_MS }, async () => {
    const c = kind.make(undefined, { maxDepth: 3 });
    chain(c, 2);
    assert.equal(await c.setState('/d0', 'v'), true);
    assert.equal(await c.getState('/d2'), 'v');
  });

  it('S38 the message shows both ends of the chain', { timeout: GUARD_TIMEOUT_MS }, async () => {
    const c = kind.make(undefined, { maxDepth: 10 });
    chain(c, 20);
    await assert.rejects(
      async () => {
        await c.setState('/d0', 1);
      },
      (err: unknown) => {
        assert.ok(isCycleError(err), `expected a RestateCycleError, got ${String(err)}`);
        assert.equal(err.chain.length, 11);
        assert.match(err.message, /^\[restate\] \[[^\]]+\] /);
        assert.ok(err.message.includes('/d0'), err.message);
        assert.ok(err.message.includes('/d10'), err.message);
        return true;
      },
    );
  });

  it('S132 there is no default limit: a chain of 300 callbacks runs to the end', { timeout: GUARD_TIMEOUT_MS }, async () => {
    const c = kind.make();
    chain(c, 300);
    assert.equal(await c.setState('/d0', 1), true);
    assert.equal(await c.getState('/d255'), 1);
    assert.equal(await c.getState('/d300'), 1);
  });

  it('S38 a chain of 100 derivations runs to the end', { timeout: GUARD_TIMEOUT_MS }, async () => {
    const c = kind.make();
    for (let i = 0; i < 100; i++) {
      await c.derive(`/c${i + 1}`, `/c${i}`, (value) => ((value as number | undefined) ?? 0) + 1);
    }
    assert.equal(await c.getState('/c100'), 100);
    assert.equal(await c.setState('/c0', 1000), true);
    assert.equal(await c.getState('/c100'), 1100);
  });

  it('S38 a derivation that feeds itself stops at the limit, and derive rethrows the cycle', { timeout: GUARD_TIMEOUT_MS }, async () => {
    const c = kind.make(undefined, { maxDepth: 5 });
    await assert.rejects(
      async () => {
        await c.derive('/n', '/n', (value) => ((value as number | undefined) ?? 0) + 1);
      },
      (err: unknown) => {
        assert.ok(isCycleError(err), `expected a RestateCycleError, got ${String(err)}`);
        assert.equal(err.limit, 5);
        assert.deepEqual(err.chain, ['/n', '/n', '/n', '/n', '/n', '/n']);
        return true;
      },
    );
    assert.equal(await c.getState('/n'), 5);
  });

  it('S38 the error is never collected: it passes through, skipping the remaining callbacks', { timeout: GUARD_TIMEOUT_MS }, async () => {
    const c = kind.make(undefined, { maxDepth: 3 });
    const log: string[] = [];
    for (let i = 0; i < 6; i++) {
      c.subscribe(`/d${i}`, (event) => event.setState(`/d${i + 1}`, event.newValue));
      c.subscribe(`/d${i}`, recorder(log, `after${i}`));
    }
    c.subscribe('/', recorder(log, 'root'));
    await assert.rejects(
      async () => {
        await c.setState('/d0', 1);
      },
      (err: unknown) => {
        assert.ok(isCycleError(err), `expected a RestateCycleError, got ${String(err)}`);
        assert.ok(!(err instanceof RestateCallbackError));
        return true;
      },
    );
    assert.deepEqual(log, []);
  });

  it('S38 a callback that also fails does not turn the cycle into a RestateCallbackError', { timeout: GUARD_TIMEOUT_MS }, async () => {
    const c = kind.make(undefined, { maxDepth: 3 });
    c.subscribe('/d0', () => {
      throw new Error('ordinary failure');
    });
    chain(c, 5);
    await assert.rejects(
      async () => {
        await c.setState('/d0', 1);
      },
      (err: unknown) => isCycleError(err),
    );
  });
});

describe('depth guard across concurrent async calls', () => {
  for (const kind of controllerKinds.filter((k) => k.isAsync)) {
    it(`S38 unrelated concurrent calls are not nested in each other [${kind.name}]`, { timeout: GUARD_TIMEOUT_MS }, async () => {
      const c = kind.make(undefined, { maxDepth: 2 });
      const gate = deferred();
      for (const name of ['a', 'b', 'c']) {
        c.subscribe(`/${name}`, async (event) => {
          await gate.promise;
          await event.setState(`/${name}/nested`, 1);
        });
      }
      const calls = Promise.all([c.setState('/a', 1), c.setState('/b', 1), c.setState('/c', 1)]);
      await sleep(5);
      gate.resolve();
      assert.deepEqual(await calls, [true, true, true]);
      assert.equal(await c.getState('/c/nested'), 1);
    });

    it(`S38 a write through the controller after an await is still nested [${kind.name}]`, { timeout: GUARD_TIMEOUT_MS }, async () => {
      const c = kind.make(undefined, { maxDepth: 1 });
      c.subscribe('/a', async () => {
        await sleep(1);
        await c.setState('/x', 1);
      });
      await assert.rejects(
        async () => {
          await c.setState('/a', 1);
        },
        (err: unknown) => {
          assert.ok(isCycleError(err), `expected a RestateCycleError, got ${String(err)}`);
          assert.deepEqual(err.chain, ['/a', '/x']);
          return true;
        },
      );
      assert.equal(await c.getState('/x'), undefined);
    });
  }
});

describe('sync controller and asynchronous callbacks', () => {
  /** Runs `body` and returns the unhandled rejections seen while it ran and shortly after. */
  async function unhandledRejectionsDuring(body: () => void): Promise<unknown[]> {
    const seen: unknown[] = [];
    const listener = (reason: unknown): void => {
      seen.push(reason);
    };
    process.on('unhandledRejection', listener);
    try {
      body();
      await sleep(20);
    } finally {
      process.off('unhandledRejection', listener);
    }
    return seen;
  }

  function assertUsageFailure(err: unknown, callbackId: string): true {
    assert.ok(err instanceof RestateCallbackError, `expected a RestateCallbackError, got ${String(err)}`);
    assert.equal(err.failures.length, 1);
    assert.equal(err.failures[0].callbackId, callbackId);
    const cause = err.failures[0].error;
    assert.ok(cause instanceof RestateUsageError, `expected a RestateUsageError, got ${String(cause)}`);
    assert.match(cause.message, /ControllerAsync/);
    return true;
  }

  it('S39 a callback returning a rejected promise is a counted failure, and the rejection is swallowed', async () => {
    const c = new ControllerSync();
    const log: string[] = [];
    const id = c.subscribe('/a', async () => {
      throw new Error('rejected later');
    });
    c.subscribe('/a', recorder(log, 'next'));
    c.subscribe('/', recorder(log, 'root'));
    const unhandled = await unhandledRejectionsDuring(() => {
      assert.throws(() => c.setState('/a', 1), (err: unknown) => assertUsageFailure(err, id));
    });
    assert.deepEqual(unhandled, []);
    assert.deepEqual(log, ['next@/a', 'root@/']);
    assert.equal(c.getState('/a'), 1);
  });

  it('S39 a callback returning a resolved promise is a failure too', () => {
    const c = new ControllerSync();
    const id = c.subscribe('/a', () => Promise.resolve(1));
    assert.throws(() => c.setState('/a', 1), (err: unknown) => assertUsageFailure(err, id));
  });

  it('S39 a callback returning any thenable is a failure', () => {
    const c = new ControllerSync();
    const id = c.subscribe('/a', () => ({
      then(resolve?: (value: unknown) => void): void {
        resolve?.(1);
      },
    }));
    assert.throws(() => c.ping('/a'), (err: unknown) => assertUsageFailure(err, id));
  });

  it('S39 a transform returning a promise is a failure, and the first run rethrows it', async () => {
    const c = new ControllerSync();
    const unhandled = await unhandledRejectionsDuring(() => {
      assert.throws(
        () => c.derive('/out', '/in', () => Promise.reject(new Error('rejected later'))),
        (err: unknown) => err instanceof RestateUsageError && /ControllerAsync/.test(err.message),
      );
      assert.throws(() => c.setState('/in', 1), (err: unknown) => assertUsageFailure(err, 'derive:/out'));
    });
    assert.deepEqual(unhandled, []);
    assert.equal(c.getState('/out'), undefined);
  });

  it('S39 ControllerAsync accepts callbacks returning promises', async () => {
    const c = new ControllerAsync();
    const log: string[] = [];
    c.subscribe('/a', async () => {
      await sleep(1);
      log.push('async');
    });
    c.subscribe('/a', () => {
      log.push('sync');
    });
    assert.equal(await c.setState('/a', 1), true);
    assert.deepEqual(log, ['async', 'sync']);
  });
});
