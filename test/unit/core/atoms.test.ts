// Atoms (S72–S73): a path, a default and a controller, with every method delegating to the controller.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { Atom, AtomAsync, RestatePathError, StatePath, resolvePath } from '../../../extension/restate/index';
import type { AnyEvent } from './callback-for';
import { forEachController } from './controllers';

function isThenable(value: unknown): boolean {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && 'then' in value;
}

interface Heard {
  emittingPath: string;
  prevValue: unknown;
  newValue: unknown;
  payload: unknown;
}

const hear = (sink: Heard[]) => (e: AnyEvent) => {
  sink.push({ emittingPath: e.emittingPath, prevValue: e.prevValue, newValue: e.newValue, payload: e.payload });
};

forEachController('S72 atoms', (kind) => {
  it('S72 an atom holds its controller, canonical path and default, and is Atom or AtomAsync', () => {
    const c = kind.make();
    const atom = c.atom('users//1/', { name: 'nobody' });
    assert.equal(atom.controller, c);
    assert.equal(atom.path, '/users/1');
    assert.deepEqual(atom.default, { name: 'nobody' });
    assert.equal(atom instanceof AtomAsync, kind.isAsync);
    assert.equal(atom instanceof Atom, !kind.isAsync);
    assert.equal(c.atom(new StatePath('/a')).path, '/a');
    assert.equal(c.atom(c.atom('/b')).path, '/b');
    assert.equal(c.atom('/a').default, undefined);
  });

  it('S72 S7 an atom path may not contain a wildcard', () => {
    const c = kind.make();
    assert.throws(() => c.atom('/users/*'), RestatePathError);
  });

  it('S72 S3 an atom is a PathLike for the controller, StatePath and resolvePath', async () => {
    const c = kind.make();
    const atom = c.atom('/cfg/theme');
    assert.equal(await c.setState(atom, 'dark'), true);
    assert.equal(await c.getState('/cfg/theme'), 'dark');
    assert.equal(await c.getState(atom), 'dark');
    assert.equal(resolvePath(atom), '/cfg/theme');
    assert.equal(new StatePath(atom).name, 'theme');
    assert.equal(await c.delState(atom), true);
    assert.equal(await c.getState('/cfg/theme'), undefined);
  });

  it('S72 an atom has no state of its own: two atoms at one path see the same value', async () => {
    const c = kind.make();
    const first = c.atom('/n', 0);
    const second = c.atom('n', 100);
    await first.set(7);
    assert.equal(await second.get(), 7);
    await c.delState('/n');
    assert.equal(await first.get(), 0);
    assert.equal(await second.get(), 100);
  });

  it('S72 the controller methods return promises for AtomAsync and plain values for Atom', async () => {
    const c = kind.make();
    const atom = c.atom('/p', 1);
    const check = async (result: unknown): Promise<void> => {
      assert.equal(isThenable(result), kind.isAsync);
      await result;
    };
    await check(atom.get());
    await check(atom.set(2));
    await check(atom.ping());
    await check(atom.delete());
    await check(atom.derive('/p2', (v) => v));
    await check(c.atom('/p3').deriveFrom(['/p'], () => 3));
    const unsubscribe = atom.onChange(() => undefined);
    assert.equal(typeof unsubscribe, 'function');
    assert.equal(typeof atom.subscribe(() => undefined), 'string');
  });

  it('S72 get returns the default when missing, and writeDefault stores it', async () => {
    const c = kind.make();
    const heard: Heard[] = [];
    c.subscribe('/', hear(heard));
    const volume = c.atom('/settings/volume', 50);
    assert.equal(await volume.get(), 50);
    assert.equal(await c.getState('/settings/volume'), undefined);
    assert.equal(await volume.get({ writeDefault: true }), 50);
    assert.equal(await c.getState('/settings/volume'), 50);
    assert.deepEqual(heard, [], 'writeDefault does not notify');
    await c.setState('/settings/volume', 70);
    assert.equal(await volume.get(), 70);
  });

  it('S72 set compares, writes, notifies with the payload and returns a boolean', async () => {
    const c = kind.make();
    const name = c.atom('/user/name', 'anonymous');
    const heard: Heard[] = [];
    name.subscribe(hear(heard));
    assert.equal(await name.set('Ann', { payload: 'p1' }), true);
    assert.equal(await name.set('Ann'), false);
    assert.equal(await name.set('Bo', { skipNotify: true }), true);
    assert.equal(await name.set('Bob', { eqFunc: (newValue, prevValue) => String(newValue)[0] === String(prevValue)[0] }), false);
    assert.equal(await name.set('Bo', { eqFunc: () => false }), true);
    assert.equal(await c.getState('/user/name'), 'Bo');
    assert.deepEqual(heard, [
      { emittingPath: '/user/name', prevValue: 'anonymous', newValue: 'Ann', payload: 'p1' },
      { emittingPath: '/user/name', prevValue: 'Bo', newValue: 'Bo', payload: undefined },
    ]);
  });

  it('S72 delete removes the node, notifies with the payload and returns whether it existed', async () => {
    const c = kind.make();
    const atom = c.atom('/a', 'default');
    const heard: Heard[] = [];
    atom.subscribe(hear(heard));
    assert.equal(await atom.delete(), false);
    await atom.set('v');
    assert.equal(await atom.delete({ payload: 'bye' }), true);
    assert.equal(await c.getState('/a', { default: 'missing' }), 'missing');
    await atom.set('w');
    assert.equal(await atom.delete({ skipNotify: true }), true);
    assert.deepEqual(heard, [
      { emittingPath: '/a', prevValue: 'default', newValue: 'v', payload: undefined },
      { emittingPath: '/a', prevValue: 'v', newValue: undefined, payload: 'bye' },
      { emittingPath: '/a', prevValue: 'default', newValue: 'w', payload: undefined },
    ]);
  });

  it("S72 ping notifies with the atom's value, or its default when missing, and writes nothing", async () => {
    const c = kind.make();
    const atom = c.atom('/a', 'dflt');
    const heard: Heard[] = [];
    atom.subscribe(hear(heard));
    await atom.ping({ payload: 'ping-1' });
    assert.equal(await c.getState('/a'), undefined);
    await c.setState('/a', 'real', { skipNotify: true });
    await atom.ping();
    assert.deepEqual(heard, [
      { emittingPath: '/a', prevValue: 'dflt', newValue: 'dflt', payload: 'ping-1' },
      { emittingPath: '/a', prevValue: 'real', newValue: 'real', payload: undefined },
    ]);
  });

  it('S72 subscribe, subscribeById and unsubscribe act on the atom path', async () => {
    const c = kind.make();
    const atom = c.atom('/a');
    const calls: string[] = [];
    const first = (): void => {
      calls.push('first');
    };
    const firstId = atom.subscribe(first);
    assert.equal(atom.subscribe(first), firstId, 'the same function keeps its id');
    const secondId = c.registerCallback(() => {
      calls.push('second');
    });
    assert.equal(atom.subscribeById(secondId), secondId);
    assert.equal(atom.subscribeById('later', { ignoreMissing: true }), 'later');
    c.registerCallback(() => {
      calls.push('later');
    }, { forceId: 'later' });
    await c.setState('/a/child', 1);
    assert.deepEqual(calls, ['first', 'second', 'later']);
    assert.equal(atom.unsubscribe(first), true);
    assert.equal(atom.unsubscribe(secondId), true);
    assert.equal(atom.unsubscribe(secondId), false);
    calls.length = 0;
    await c.setState('/a', 2);
    assert.deepEqual(calls, ['later']);
  });

  it('S72 subscribe passes forceId and replace through', async () => {
    const c = kind.make();
    const atom = c.atom('/a');
    const calls: string[] = [];
    assert.equal(atom.subscribe(() => calls.push('old'), { forceId: 'mine' }), 'mine');
    assert.equal(atom.subscribe(() => calls.push('new'), { forceId: 'mine', replace: true }), 'mine');
    await atom.set(1);
    assert.deepEqual(calls, ['new']);
  });

  it('S72 onChange subscribes and returns a function that unsubscribes', async () => {
    const c = kind.make();
    const atom = c.atom('/a');
    const heard: Heard[] = [];
    const stop = atom.onChange(hear(heard));
    await atom.set(1);
    stop();
    await atom.set(2);
    assert.deepEqual(heard, [{ emittingPath: '/a', prevValue: undefined, newValue: 1, payload: undefined }]);
  });

  it('S72 derive makes a path or an atom follow this atom, with its payload', async () => {
    const c = kind.make();
    const celsius = c.atom('/celsius', 0);
    const fahrenheit = c.atom('/fahrenheit');
    const payloads: unknown[] = [];
    fahrenheit.subscribe((e: AnyEvent) => {
      payloads.push(e.payload);
    });
    const toF = (v: unknown): number => (typeof v === 'number' ? v * 1.8 + 32 : NaN);
    assert.equal(await celsius.derive(fahrenheit, toF, { payload: 'conversion' }), 'derive:/fahrenheit');
    assert.equal(await celsius.derive('kelvin', (v) => (typeof v === 'number' ? v + 273 : NaN)), 'derive:/kelvin');
    await celsius.set(100);
    assert.equal(await fahrenheit.get(), 212);
    assert.equal(await c.getState('/kelvin'), 373);
    assert.deepEqual(payloads, ['conversion', 'conversion']);
  });

  it('S72 deriveFrom makes this atom the dest of a deriveMany', async () => {
    const c = kind.make();
    const total = c.atom('/total');
    const id = await total.deriveFrom(['/a', c.atom('/b')], (data) => {
      const a = data.get('/a');
      const b = data.get('/b');
      return (typeof a === 'number' ? a : 0) + (typeof b === 'number' ? b : 0);
    }, { payload: 'sum' });
    assert.equal(id, 'derive:/total');
    assert.equal(await total.get(), 0);
    await c.setState('/a', 2);
    await c.setState('/b', 3);
    assert.equal(await total.get(), 5);
  });
});

forEachController('S73 atom defaults', (kind) => {
  it('S73 setting a missing atom to its default stores nothing and returns false', async () => {
    const c = kind.make();
    const atom = c.atom('/count', 0);
    const heard: Heard[] = [];
    atom.subscribe(hear(heard));
    assert.equal(await atom.set(0), false);
    assert.equal(await c.getState('/count', { default: 'missing' }), 'missing');
    assert.equal(await atom.set(1), true);
    assert.equal(await atom.set(0), true);
    assert.equal(await c.getState('/count'), 0);
    assert.deepEqual(heard.map((h) => [h.prevValue, h.newValue]), [[0, 1], [1, 0]]);
  });

  it("S73 atom.derive hands the transform the atom's default when the path is missing", async () => {
    const c = kind.make();
    const source = c.atom('/src', 7);
    const seen: unknown[] = [];
    await source.derive('/dst', (v) => {
      seen.push(v);
      return typeof v === 'number' ? v * 2 : 'not a number';
    });
    assert.equal(await c.getState('/dst'), 14);
    await source.set(1);
    assert.equal(await c.getState('/dst'), 2);
    await source.delete();
    assert.equal(await c.getState('/dst'), 14);
    assert.deepEqual(seen, [7, 1, 7]);
  });

  it('S73 a missing atom without a default reads undefined', async () => {
    const c = kind.make();
    assert.equal(await c.atom('/nothing').get(), undefined);
  });
});
