// The callback store: ids, registration, replace, subscribe/unsubscribe and removal (S46–S53).
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { RestateIdError, RestateUsageError } from '../../../extension/restate/index';
import { forEachController } from './controllers';
import { callbackFor, type AnyEvent } from './callback-for';

/** A callback that logs `tag@currentPath`. */
function recorder(log: string[], tag: string): (event: AnyEvent) => void {
  return (event) => {
    log.push(`${tag}@${event.currentPath}`);
  };
}

function isIdError(err: unknown): boolean {
  return err instanceof RestateIdError && err.code === 'id';
}

forEachController('callback ids', (kind) => {
  it('S46 automatic ids are #1, #2, … per controller and never reused', async () => {
    const c = kind.make();
    const log: string[] = [];
    assert.equal(c.registerCallback(recorder(log, 'a')), '#1');
    assert.equal(c.subscribe('/x', recorder(log, 'b')), '#2');
    assert.equal(c.removeCallback('#2'), true);
    assert.equal(c.registerCallback(recorder(log, 'c')), '#3');
    assert.equal(kind.make().registerCallback(recorder(log, 'd')), '#1');
  });

  it('S46 system ids are derive:<dest> and track:<n>', async () => {
    const c = kind.make();
    assert.equal(await c.derive('out', '/in', (value) => value), 'derive:/out');
    assert.equal(await c.track(() => undefined), 'track:1');
    assert.equal(await c.track(() => undefined), 'track:2');
  });

  it('S46 a forceId that is empty or uses a reserved prefix throws a RestateIdError', async () => {
    const c = kind.make();
    const f = (): void => undefined;
    for (const forceId of ['', '#1', '#mine', 'derive:/x', 'track:1', 'track:']) {
      assert.throws(() => c.registerCallback(f, { forceId }), isIdError, `registerCallback forceId ${JSON.stringify(forceId)}`);
      assert.throws(() => c.subscribe('/x', f, { forceId }), isIdError, `subscribe forceId ${JSON.stringify(forceId)}`);
    }
    assert.equal(c.registerCallback(f, { forceId: 'mine' }), 'mine');
    assert.equal(c.registerCallback(f, { forceId: 'a#b' }), 'a#b');
  });

  it('S47 the same function gets the same id', async () => {
    const c = kind.make();
    const log: string[] = [];
    const f = recorder(log, 'f');
    const id = c.registerCallback(f);
    assert.equal(c.registerCallback(f), id);
    assert.equal(c.subscribe('/x', f), id);
    assert.equal(c.subscribe('/y', f), id);
    assert.notEqual(c.registerCallback(recorder(log, 'g')), id);
  });

  it('S47 a forced id returns itself when it already holds the same function', async () => {
    const c = kind.make();
    const log: string[] = [];
    const f = recorder(log, 'f');
    assert.equal(c.registerCallback(f, { forceId: 'k' }), 'k');
    assert.equal(c.registerCallback(f, { forceId: 'k' }), 'k');
    assert.equal(c.subscribe('/x', f, { forceId: 'k' }), 'k');
    await c.setState('/x', 1);
    assert.deepEqual(log, ['f@/x']);
  });

  it('S47 a forced id held by a different function throws a RestateIdError, and nothing changes', async () => {
    const c = kind.make();
    const log: string[] = [];
    c.subscribe('/x', recorder(log, 'f'), { forceId: 'k' });
    assert.throws(() => c.registerCallback(recorder(log, 'g'), { forceId: 'k' }), isIdError);
    assert.throws(() => c.subscribe('/y', recorder(log, 'g'), { forceId: 'k' }), isIdError);
    await c.setState('/x', 1);
    await c.setState('/y', 1);
    assert.deepEqual(log, ['f@/x']);
  });

  it('S47 a function may hold an automatic id and forced ids at once', async () => {
    const c = kind.make();
    const f = (): void => undefined;
    assert.equal(c.registerCallback(f), '#1');
    assert.equal(c.registerCallback(f, { forceId: 'k' }), 'k');
    assert.equal(c.registerCallback(f), '#1');
  });

  it('S47 replace on a free forced id simply registers', async () => {
    const c = kind.make();
    const log: string[] = [];
    assert.equal(c.subscribe('/x', recorder(log, 'f'), { forceId: 'k', replace: true }), 'k');
    await c.setState('/x', 1);
    assert.deepEqual(log, ['f@/x']);
  });

  it('S48 replace swaps the function and keeps every subscription of the id', async () => {
    const c = kind.make();
    const log: string[] = [];
    const old = recorder(log, 'old');
    c.subscribe('/x', old, { forceId: 'k' });
    c.subscribe('/y/*', old, { forceId: 'k' });
    assert.throws(() => c.subscribe('/z', recorder(log, 'new'), { forceId: 'k' }), isIdError);
    assert.equal(c.registerCallback(recorder(log, 'new'), { forceId: 'k', replace: true }), 'k');
    await c.setState('/x', 1);
    await c.setState('/y/1', 1);
    assert.deepEqual(log, ['new@/x', 'new@/y/1']);
  });
});

forEachController('subscribe and subscribeById', (kind) => {
  it('S49 subscribe registers and subscribes, and returns the id', async () => {
    const c = kind.make();
    const log: string[] = [];
    const f = recorder(log, 'f');
    const id = c.subscribe('a/b', f);
    assert.equal(c.registerCallback(f), id);
    await c.setState('/a/b', 1);
    assert.deepEqual(log, ['f@/a/b']);
  });

  it('S49 a callback that is not a function throws a RestateUsageError', async () => {
    const c = kind.make();
    for (const notAFunction of [undefined, null, 'handler', 42, {}]) {
      assert.throws(
        () => c.subscribe('/x', notAFunction as unknown as (event: AnyEvent) => void),
        (err: unknown) => err instanceof RestateUsageError && err.code === 'usage',
        `subscribe with ${String(notAFunction)}`,
      );
    }
    // Nothing was registered or subscribed by the failed calls.
    assert.equal(await c.setState('/x', 1), true);
  });

  it('S50 subscribeById with a system id throws a RestateIdError, even with ignoreMissing', async () => {
    const c = kind.make();
    const derived = await c.derive('/out', '/in', (value) => value);
    const tracked = await c.track(() => undefined);
    for (const id of [derived, tracked, 'derive:/nothing', 'track:99']) {
      assert.throws(() => c.subscribeById('/x', id), isIdError, id);
      assert.throws(() => c.subscribeById('/x', id, { ignoreMissing: true }), isIdError, `${id} with ignoreMissing`);
    }
  });

  it('S50 S51 unsubscribe and unsubscribeById with a system id throw a RestateIdError and leave the derivation and tracker subscribed', async () => {
    const c = kind.make();
    const derived = await c.derive('/out', '/in', (value: unknown) => value);
    let runs = 0;
    const tracked = await c.track(
      callbackFor(kind, function* (e) {
        runs++;
        yield e.getState('/watched');
      }),
    );
    for (const [path, id] of [['/in', derived], ['/watched', tracked], ['/x', 'derive:/nothing'], ['/x', 'track:99']]) {
      assert.throws(() => c.unsubscribe(path, id), (err: unknown) => isIdError(err) && (err as RestateIdError).id === id && (err as RestateIdError).message.includes(path), id);
      assert.throws(() => c.unsubscribeById(path, id), isIdError, `${id} by id`);
    }
    await c.setState('/in', 1);
    assert.equal(await c.getState('/out'), 1);
    await c.setState('/watched', 1);
    assert.equal(runs, 2);
  });

  it('S50 subscribeById with an unknown id throws a RestateIdError', async () => {
    const c = kind.make();
    assert.throws(() => c.subscribeById('/x', 'nope'), (err: unknown) => isIdError(err) && (err as RestateIdError).id === 'nope');
    assert.throws(() => c.subscribeById('/x', '#1'), isIdError);
  });

  it('S50 with ignoreMissing, the subscription fires once the id is registered', async () => {
    const c = kind.make();
    const log: string[] = [];
    assert.equal(c.subscribeById('/x', 'later', { ignoreMissing: true }), 'later');
    assert.equal(await c.setState('/x', 1), true);
    c.registerCallback(recorder(log, 'later'), { forceId: 'later' });
    await c.setState('/x', 2);
    assert.deepEqual(log, ['later@/x']);
  });

  it('S50 subscribing an existing pair again does nothing', async () => {
    const c = kind.make();
    const log: string[] = [];
    const id = c.registerCallback(recorder(log, 'f'));
    assert.equal(c.subscribeById('/x', id), id);
    assert.equal(c.subscribeById('x', id), id);
    assert.equal(c.subscribeById('/x', id, { ignoreMissing: true }), id);
    await c.setState('/x', 1);
    assert.deepEqual(log, ['f@/x']);
    // One unsubscribe removes the pair.
    assert.equal(c.unsubscribeById('/x', id), true);
    await c.setState('/x', 2);
    assert.deepEqual(log, ['f@/x']);
  });
});

forEachController('unsubscribe', (kind) => {
  it('S51 unsubscribe by id removes the subscription at exactly that path and returns true', async () => {
    const c = kind.make();
    const log: string[] = [];
    const id = c.subscribe('/a', recorder(log, 'f'));
    c.subscribeById('/a/b', id);
    assert.equal(c.unsubscribe('/a', id), true);
    assert.equal(c.unsubscribe('/a', id), false);
    await c.setState('/a/b', 1);
    assert.deepEqual(log, ['f@/a/b']);
  });

  it('S51 unsubscribe by function removes it at that path only', async () => {
    const c = kind.make();
    const log: string[] = [];
    const f = recorder(log, 'f');
    c.subscribe('/a', f);
    c.subscribe('/a/b', f);
    assert.equal(c.unsubscribe('a', f), true);
    assert.equal(c.unsubscribe('/a', f), false);
    await c.setState('/a/b', 1);
    assert.deepEqual(log, ['f@/a/b']);
  });

  it('S51 unsubscribe by function also finds forced ids', async () => {
    const c = kind.make();
    const log: string[] = [];
    const f = recorder(log, 'f');
    c.subscribe('/a', f, { forceId: 'k' });
    c.subscribe('/a', f);
    c.subscribe('/b', f, { forceId: 'k' });
    assert.equal(c.unsubscribe('/a', f), true);
    await c.setState('/a', 1);
    await c.setState('/b', 1);
    assert.deepEqual(log, ['f@/b']);
  });

  it('S51 two ids of one function are two callbacks; unsubscribeById removes one', async () => {
    const c = kind.make();
    const log: string[] = [];
    const f = recorder(log, 'f');
    c.subscribe('/a', f);
    c.subscribe('/a', f, { forceId: 'k' });
    await c.setState('/a', 1);
    assert.deepEqual(log, ['f@/a', 'f@/a']);
    assert.equal(c.unsubscribeById('/a', 'k'), true);
    assert.equal(c.unsubscribeById('/a', 'k'), false);
    log.length = 0;
    await c.setState('/a', 2);
    assert.deepEqual(log, ['f@/a']);
  });

  it('S51 a pattern subscription is removed only through the same pattern', async () => {
    const c = kind.make();
    const log: string[] = [];
    const f = recorder(log, 'f');
    const id = c.subscribe('/u/*', f);
    assert.equal(c.unsubscribe('/u/1', f), false);
    assert.equal(c.unsubscribeById('/u/1', id), false);
    assert.equal(c.unsubscribe('/*/*', f), false);
    await c.setState('/u/1', 1);
    assert.deepEqual(log, ['f@/u/1']);
    assert.equal(c.unsubscribe('u/*', f), true);
    await c.setState('/u/2', 1);
    assert.deepEqual(log, ['f@/u/1']);
  });

  it('S51 an exact subscription is not removed through a pattern', async () => {
    const c = kind.make();
    const log: string[] = [];
    const f = recorder(log, 'f');
    c.subscribe('/u/1', f);
    assert.equal(c.unsubscribe('/u/*', f), false);
    await c.setState('/u/1', 1);
    assert.deepEqual(log, ['f@/u/1']);
  });

  it('S51 unsubscribing what was never subscribed returns false', async () => {
    const c = kind.make();
    const f = (): void => undefined;
    assert.equal(c.unsubscribe('/a', f), false);
    assert.equal(c.unsubscribe('/a', 'unknown'), false);
    assert.equal(c.unsubscribeById('/a', 'unknown'), false);
    const id = c.subscribe('/b', f);
    assert.equal(c.unsubscribe('/a', id), false);
  });

  it('S51 callbacks stay registered after unsubscribe', async () => {
    const c = kind.make();
    const log: string[] = [];
    const f = recorder(log, 'f');
    const id = c.subscribe('/a', f);
    c.unsubscribe('/a', f);
    assert.equal(c.registerCallback(f), id);
    assert.equal(c.subscribeById('/b', id), id);
    await c.setState('/b', 1);
    assert.deepEqual(log, ['f@/b']);
  });
});

forEachController('removeCallback', (kind) => {
  it('S52 removeCallback removes the function and all its subscriptions', async () => {
    const c = kind.make();
    const log: string[] = [];
    const f = recorder(log, 'f');
    const id = c.subscribe('/a', f);
    c.subscribe('/b/*', f);
    assert.equal(c.removeCallback(id), true);
    assert.equal(c.removeCallback(id), false);
    await c.setState('/a', 1);
    await c.setState('/b/1', 1);
    assert.deepEqual(log, []);
    assert.throws(() => c.subscribeById('/a', id), isIdError);
  });

  it('S52 the same function registered again gets a fresh id, and the old subscriptions do not come back', async () => {
    const c = kind.make();
    const log: string[] = [];
    const f = recorder(log, 'f');
    const first = c.subscribe('/a', f);
    c.removeCallback(first);
    const second = c.registerCallback(f);
    assert.notEqual(second, first);
    await c.setState('/a', 1);
    assert.deepEqual(log, []);
  });

  it('S52 a forced id registered again after removal has no subscriptions', async () => {
    const c = kind.make();
    const log: string[] = [];
    const f = recorder(log, 'f');
    c.subscribe('/a', f, { forceId: 'k' });
    assert.equal(c.removeCallback('k'), true);
    assert.equal(c.registerCallback(f, { forceId: 'k' }), 'k');
    await c.setState('/a', 1);
    assert.deepEqual(log, []);
  });

  it('S52 removeCallback of an unknown id returns false', async () => {
    const c = kind.make();
    assert.equal(c.removeCallback('nope'), false);
    assert.equal(c.removeCallback('#1'), false);
    assert.equal(c.removeCallback('derive:/nothing'), false);
    assert.equal(c.removeCallback('track:1'), false);
  });

  it('S52 removeCallback of a derivation id underives it and keeps the dest value', async () => {
    const c = kind.make();
    let runs = 0;
    const id = await c.derive('/out', '/in', (value) => {
      runs++;
      return value ?? 'none';
    });
    assert.equal(c.removeCallback(id), true);
    await c.setState('/in', 1);
    assert.equal(runs, 1);
    assert.equal(await c.getState('/out'), 'none');
    assert.equal(await c.underive('/out'), false);
  });

  it('S52 removeCallback of a tracker id untracks it', async () => {
    const c = kind.make();
    let runs = 0;
    const tracker = (event: AnyEvent): unknown => {
      runs++;
      return event.getState('/in');
    };
    const id = await c.track(tracker);
    assert.equal(c.removeCallback(id), true);
    await c.setState('/in', 1);
    assert.equal(runs, 1);
    assert.equal(c.untrack(id), false);
  });

  it('S52 removing one id leaves other ids of the same function', async () => {
    const c = kind.make();
    const log: string[] = [];
    const f = recorder(log, 'f');
    const auto = c.subscribe('/a', f);
    c.subscribe('/a', f, { forceId: 'k' });
    c.removeCallback(auto);
    await c.setState('/a', 1);
    assert.deepEqual(log, ['f@/a']);
  });
});

forEachController('shared subscriptions', (kind) => {
  it('S53 removing one subscriber of a pattern never affects another', async () => {
    const c = kind.make();
    const log: string[] = [];
    const f = recorder(log, 'f');
    const g = recorder(log, 'g');
    c.subscribe('/u/*', f);
    const idG = c.subscribe('/u/*', g);
    assert.equal(c.unsubscribe('/u/*', f), true);
    await c.setState('/u/1', 1);
    assert.deepEqual(log, ['g@/u/1']);
    c.removeCallback(idG);
    c.subscribe('/u/*', f);
    log.length = 0;
    await c.setState('/u/2', 1);
    assert.deepEqual(log, ['f@/u/2']);
  });

  it('S53 a pattern used by a derivation and plain callbacks stays while any of them uses it', async () => {
    const c = kind.make();
    const log: string[] = [];
    let runs = 0;
    c.subscribe('/u/*', recorder(log, 'f'));
    const idG = c.subscribe('/u/*', recorder(log, 'g'));
    await c.derive('/count', '/u/*', () => ++runs);
    assert.equal(c.unsubscribe('/u/*', idG), true);
    await c.setState('/u/1', 1);
    assert.equal(runs, 2);
    assert.deepEqual(log, ['f@/u/1']);
    assert.equal(await c.underive('/count'), true);
    await c.setState('/u/2', 1);
    assert.equal(runs, 2);
    assert.deepEqual(log, ['f@/u/1', 'f@/u/2']);
  });

  it('S53 removing one subscriber of an exact path never affects another', async () => {
    const c = kind.make();
    const log: string[] = [];
    const idF = c.subscribe('/x', recorder(log, 'f'));
    c.subscribe('/x', recorder(log, 'g'));
    c.removeCallback(idF);
    await c.setState('/x', 1);
    assert.deepEqual(log, ['g@/x']);
  });
});
