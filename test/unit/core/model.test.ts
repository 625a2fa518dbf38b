import { it } from 'node:test';
import assert from 'node:assert/strict';
import { InMemoryBackend, MISSING } from '../../../extension/restate/index';
import type { StateEvent } from '../../../extension/restate/index';
import { forEachController } from './controllers';
import type { AnyController } from './controllers';

type AnyEvent = StateEvent<AnyController>;

/** Parent reads are compared as unordered maps (S15); this also checks that they are plain objects. */
function assertPlainObject(value: unknown): asserts value is Record<string, unknown> {
  assert.ok(value !== null && typeof value === 'object' && !Array.isArray(value), `not an object: ${String(value)}`);
  const prototype: unknown = Object.getPrototypeOf(value);
  assert.ok(prototype === Object.prototype || prototype === null, 'a parent read must be a plain object');
}

forEachController('data model: nodes and parent reads (S9, S10)', (kind) => {
  it('S9 writing /a/b makes /a exist without a value', async () => {
    const c = kind.make();
    await c.setState('/a/b', 1);
    const a = await c.getState('/a');
    assertPlainObject(a);
    assert.deepEqual(a, { b: 1 });
    assert.equal(Object.prototype.hasOwnProperty.call(a, '/'), false);
    assert.deepEqual(await c.getState('/'), { a: { b: 1 } });
  });

  it('S9 a valueless parent stops existing with its last child', async () => {
    const c = kind.make();
    await c.setState('/a/b/c', 1);
    assert.equal(await c.delState('/a/b/c'), true);
    assert.equal(await c.getState('/a/b'), undefined);
    assert.equal(await c.getState('/a', { default: 'gone' }), 'gone');
    assert.equal(await c.delState('/a'), false);
    assert.deepEqual(await c.getState('/'), {});
  });

  it('S9 a parent with its own value survives the loss of its children', async () => {
    const c = kind.make();
    await c.setState('/a', 'own');
    await c.setState('/a/b', 1);
    assert.equal(await c.delState('/a/b'), true);
    assert.equal(await c.getState('/a'), 'own');
  });

  it('S9 a parent with another child survives the loss of one child', async () => {
    const c = kind.make();
    await c.setState('/a/b', 1);
    await c.setState('/a/c', 2);
    await c.delState('/a/b');
    assert.deepEqual(await c.getState('/a'), { c: 2 });
  });

  it('S10 a node without children reads as its own value', async () => {
    const c = kind.make();
    const value = { name: 'Ann', tags: ['x'] };
    await c.setState('/u', value);
    assert.deepEqual(await c.getState('/u'), { name: 'Ann', tags: ['x'] });
    await c.setState('/n', 3);
    assert.equal(await c.getState('/n'), 3);
  });

  it('S10 a node with children reads as one key per child plus "/" for its own value', async () => {
    const c = kind.make();
    await c.setState('/cfg', 'own');
    await c.setState('/cfg/theme', 'dark');
    await c.setState('/cfg/size', 12);
    const cfg = await c.getState('/cfg');
    assertPlainObject(cfg);
    assert.deepEqual(cfg, { '/': 'own', theme: 'dark', size: 12 });
  });

  it('S10 parent reads are recursive', async () => {
    const c = kind.make();
    await c.setState('/a/b', 2);
    await c.setState('/a/b/c', 1);
    await c.setState('/a/d/e/f', [1, 2]);
    await c.setState('/a/x', null);
    assert.deepEqual(await c.getState('/a'), { b: { '/': 2, c: 1 }, d: { e: { f: [1, 2] } }, x: null });
    assert.deepEqual(await c.getState('/a/d'), { e: { f: [1, 2] } });
  });

  it('S10 a node that does not exist is missing, also below a leaf', async () => {
    const c = kind.make();
    await c.setState('/leaf', 5);
    assert.equal(await c.getState('/nope'), undefined);
    assert.equal(await c.getState('/leaf/below'), undefined);
    assert.equal(await c.getState('/leaf/below', { default: 'd' }), 'd');
    assert.equal(await c.getState('/nope/deeper/still', { default: 0 }), 0);
  });
});

forEachController('data model: opaque values (S11, S12)', (kind) => {
  it('S11 an object written at /cfg creates no child nodes', async () => {
    const c = kind.make();
    await c.setState('/cfg', { theme: 'dark' });
    assert.equal(await c.getState('/cfg/theme'), undefined);
    assert.equal(await c.getState('/cfg/theme', { default: 'none' }), 'none');
    assert.deepEqual(await c.backend.listChildren?.('/cfg'), []);
  });

  it('S11 delState of a key inside an object value returns false and changes nothing', async () => {
    const c = kind.make();
    let notified = 0;
    c.subscribe('/', () => {
      notified++;
    });
    await c.setState('/cfg', { theme: 'dark' });
    assert.equal(await c.delState('/cfg/theme'), false);
    assert.deepEqual(await c.getState('/cfg'), { theme: 'dark' });
    assert.equal(notified, 1);
  });

  it('S11 an object value and a child of the same name are both kept', async () => {
    const c = kind.make();
    await c.setState('/cfg', { theme: 'dark' });
    assert.equal(await c.setState('/cfg/theme', 'light'), true);
    const cfg = await c.getState('/cfg');
    assertPlainObject(cfg);
    assert.deepEqual(cfg, { '/': { theme: 'dark' }, theme: 'light' });
    assert.equal(await c.getState('/cfg/theme'), 'light');
  });

  it('S11 subscribers of a key inside an object value are not notified when the object is written', async () => {
    const c = kind.make();
    const seen: string[] = [];
    c.subscribe('/cfg/theme', (event: AnyEvent) => {
      seen.push(event.emittingPath);
    });
    await c.setState('/cfg', { theme: 'dark' });
    assert.deepEqual(seen, []);
  });

  it('S12 a child may be written under a scalar', async () => {
    const c = kind.make();
    await c.setState('/n', 5);
    assert.equal(await c.setState('/n/child', 'c'), true);
    assert.deepEqual(await c.getState('/n'), { '/': 5, child: 'c' });
    assert.equal(await c.getState('/n/child'), 'c');
  });

  it('S12 writing an own value never removes children', async () => {
    const c = kind.make();
    await c.setState('/n/child', 'c');
    await c.setState('/n', 5);
    assert.deepEqual(await c.getState('/n'), { '/': 5, child: 'c' });
    await c.setState('/n', 6);
    assert.deepEqual(await c.getState('/n'), { '/': 6, child: 'c' });
    await c.setState('/n', { child: 'replaced?' });
    assert.deepEqual(await c.getState('/n'), { '/': { child: 'replaced?' }, child: 'c' });
    assert.equal(await c.getState('/n/child'), 'c');
  });

  it('S12 writing null as an own value keeps the children', async () => {
    const c = kind.make();
    await c.setState('/n/child', 1);
    await c.setState('/n', null);
    assert.deepEqual(await c.getState('/n'), { '/': null, child: 1 });
  });
});

forEachController('data model: missing is not null (S13)', (kind) => {
  it('S13 null is stored and read back as null, not as missing', async () => {
    const c = kind.make();
    assert.equal(await c.setState('/n', null), true);
    assert.equal(await c.getState('/n'), null);
    assert.equal(await c.getState('/n', { default: 'd' }), null);
    assert.equal(await c.backend.read('/n'), null);
    assert.deepEqual(await c.getState('/'), { n: null });
  });

  it('S13 a missing node reads as the default and as MISSING in the backend', async () => {
    const c = kind.make();
    assert.equal(await c.getState('/m'), undefined);
    assert.equal(await c.getState('/m', { default: 'd' }), 'd');
    assert.equal(await c.backend.read('/m'), MISSING);
  });

  it('S13 a deleted node is missing, not null', async () => {
    const c = kind.make();
    await c.setState('/a/b', 1);
    await c.setState('/a/c', 2);
    await c.delState('/a/b');
    assert.equal(await c.getState('/a/b'), undefined);
    assert.deepEqual(await c.getState('/a'), { c: 2 });
    assert.equal(Object.prototype.hasOwnProperty.call(await c.getState('/a'), 'b'), false);
  });
});

forEachController('data model: the root (S14)', (kind) => {
  it('S14 getState("/") on an empty root returns a new {} each time', async () => {
    const c = kind.make();
    const first = await c.getState('/');
    const second = await c.getState('/');
    assertPlainObject(first);
    assert.deepEqual(first, {});
    assert.deepEqual(second, {});
    assert.notEqual(first, second);
    first.x = 1;
    assert.deepEqual(await c.getState('/'), {});
  });

  it('S14 getState("/") on an empty root ignores the default', async () => {
    const c = kind.make();
    const dflt = { d: 1 };
    const read = await c.getState('/', { default: dflt });
    assert.deepEqual(read, {});
    assert.notEqual(read, dflt);
    assert.deepEqual(await c.getState('/', { default: 5 }), {});
    assert.deepEqual(await c.getState('/', { default: null }), {});
  });

  it('S14 writeDefault never writes at the root', async () => {
    const c = kind.make();
    assert.deepEqual(await c.getState('/', { default: { d: 1 }, writeDefault: true }), {});
    assert.equal(await c.backend.read('/'), MISSING);
    assert.deepEqual(await c.getState('/'), {});
  });

  it('S14 the root reads its children', async () => {
    const c = kind.make();
    await c.setState('/a', 1);
    await c.setState('/b/c', 2);
    assert.deepEqual(await c.getState('/', { default: 'ignored' }), { a: 1, b: { c: 2 } });
  });

  it('S14 a root with only an own value reads that value', async () => {
    const c = kind.make();
    assert.equal(await c.setState('/', 7), true);
    assert.equal(await c.getState('/'), 7);
    await c.setState('/a', 1);
    assert.deepEqual(await c.getState('/'), { '/': 7, a: 1 });
  });

  it('S14 the root reads {} again after everything is deleted', async () => {
    const c = kind.make();
    await c.setState('/a', 1);
    await c.delState('/a');
    assert.deepEqual(await c.getState('/', { default: 'x' }), {});
    assert.equal(await c.backend.read('/'), MISSING);
  });

  it('S14 backends report an empty root as MISSING', async () => {
    const c = kind.make();
    assert.equal(await c.backend.read('/'), MISSING);
    const dflt = ['d'];
    assert.equal(await c.backend.read('/', dflt), dflt);
    assert.deepEqual(await c.backend.listChildren?.('/'), []);
    assert.equal(new InMemoryBackend().read('/'), MISSING);
  });
});

forEachController('data model: key order (S15)', (kind) => {
  it('S15 listChildren returns the children sorted by code unit', async () => {
    const c = kind.make();
    for (const name of ['b', 'a', 'B', 'é', '10', '2', '_', 'aa', 'Z']) {
      await c.setState(`/p/${name}`, name);
    }
    assert.deepEqual(await c.backend.listChildren?.('/p'), ['10', '2', 'B', 'Z', '_', 'a', 'aa', 'b', 'é']);
  });

  it('S15 a parent read holds "/" and every child, compared as an unordered map', async () => {
    const c = kind.make();
    await c.setState('/p', 'own');
    for (const name of ['b', 'a', '10', '2', 'é']) {
      await c.setState(`/p/${name}`, name.toUpperCase());
    }
    const p = await c.getState('/p');
    assertPlainObject(p);
    assert.deepEqual(Object.keys(p).sort(), ['/', '10', '2', 'a', 'b', 'é']);
    assert.deepEqual(p, { '/': 'own', a: 'A', b: 'B', '10': '10', '2': '2', é: 'É' });
  });
});

forEachController('data model: fresh parent reads (S16)', (kind) => {
  it('S16 mutating a parent read changes nothing in the state', async () => {
    const c = kind.make();
    await c.setState('/a/b', 1);
    await c.setState('/a/c/d', 2);
    const first = await c.getState('/a');
    assertPlainObject(first);
    first.b = 99;
    first.added = true;
    delete first['c'];
    const second = await c.getState('/a');
    assert.notEqual(second, first);
    assert.deepEqual(second, { b: 1, c: { d: 2 } });
  });

  it('S16 nested parent objects inside a read are fresh too', async () => {
    const c = kind.make();
    await c.setState('/a/c/d', 2);
    const first = await c.getState('/a');
    assertPlainObject(first);
    const inner = first.c;
    assertPlainObject(inner);
    inner.d = 'changed';
    inner.e = 'new';
    assert.deepEqual(await c.getState('/a'), { c: { d: 2 } });
    assert.deepEqual(await c.getState('/a/c'), { d: 2 });
    assert.equal(await c.getState('/a/c/e'), undefined);
  });

  it('S16 mutating the root read changes nothing in the state', async () => {
    const c = kind.make();
    await c.setState('/x', 1);
    const root = await c.getState('/');
    assertPlainObject(root);
    root.x = 2;
    root.y = 3;
    assert.deepEqual(await c.getState('/'), { x: 1 });
  });

  it('S16 the merged prevValue in an event is fresh', async () => {
    const c = kind.make();
    await c.setState('/a/b', 1);
    let prev: unknown;
    c.subscribe('/a', (event: AnyEvent) => {
      prev = event.prevValue;
      if (prev !== null && typeof prev === 'object') (prev as Record<string, unknown>).b = 'mutated';
    });
    await c.setState('/a', 'own');
    assert.deepEqual(prev, { b: 'mutated' });
    assert.deepEqual(await c.getState('/a'), { '/': 'own', b: 1 });
  });
});
