import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ControllerSync, InMemoryBackend, MISSING, RestateError, RestateValueError, deepEqual } from '../../../extension/restate/index';
import type { StateEvent } from '../../../extension/restate/index';
import { forEachController } from './controllers';
import type { AnyController } from './controllers';

type AnyEvent = StateEvent<AnyController>;

/** deepEqual must be symmetric; every check runs both ways. */
function equal(a: unknown, b: unknown): boolean {
  const forward = deepEqual(a, b);
  assert.equal(deepEqual(b, a), forward, 'deepEqual is not symmetric');
  return forward;
}

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
}

describe('deepEqual (S18)', () => {
  it('S18 primitives compare with ===', () => {
    assert.equal(equal(1, 1), true);
    assert.equal(equal('a', 'a'), true);
    assert.equal(equal(true, true), true);
    assert.equal(equal(null, null), true);
    assert.equal(equal(undefined, undefined), true);
    assert.equal(equal(10n, 10n), true);
    assert.equal(equal(0, -0), true);
    assert.equal(equal(1, 2), false);
    assert.equal(equal('a', 'b'), false);
    assert.equal(equal(1, '1'), false);
    assert.equal(equal(0, ''), false);
    assert.equal(equal(0, false), false);
    assert.equal(equal(null, undefined), false);
    assert.equal(equal(null, 0), false);
    assert.equal(equal(10n, 10), false);
  });

  it('S18 true does not equal 1 (unlike Python ==)', () => {
    assert.equal(equal(true, 1), false);
    assert.equal(equal(false, 0), false);
    assert.equal(equal([true], [1]), false);
    assert.equal(equal({ a: 1 }, { a: true }), false);
  });

  it('S18 NaN equals NaN', () => {
    assert.equal(equal(NaN, NaN), true);
    assert.equal(equal([NaN], [NaN]), true);
    assert.equal(equal({ n: NaN }, { n: NaN }), true);
    assert.equal(equal(NaN, 0), false);
    assert.equal(equal(NaN, 'NaN'), false);
    assert.equal(equal(NaN, undefined), false);
    assert.equal(equal(NaN, null), false);
    assert.equal(equal(NaN, {}), false);
  });

  it('S18 symbols and functions compare by reference', () => {
    const s = Symbol('s');
    const f = (): number => 1;
    assert.equal(equal(s, s), true);
    assert.equal(equal(Symbol('s'), Symbol('s')), false);
    assert.equal(equal(f, f), true);
    assert.equal(equal(f, (): number => 1), false);
    assert.equal(equal(MISSING, MISSING), true);
  });

  it('S18 arrays compare element by element, in order', () => {
    assert.equal(equal([], []), true);
    assert.equal(equal([1, 'a', null], [1, 'a', null]), true);
    assert.equal(equal([[1, [2]], { a: [3] }], [[1, [2]], { a: [3] }]), true);
    assert.equal(equal([1, 2], [2, 1]), false);
    assert.equal(equal([1, 2], [1, 2, 3]), false);
    assert.equal(equal([1], [1, undefined]), false);
    assert.equal(equal([[1]], [[2]]), false);
    assert.equal(equal([undefined], [null]), false);
  });

  it('S18 plain objects compare by key set, ignoring order, and by value', () => {
    assert.equal(equal({}, {}), true);
    assert.equal(equal({ a: 1, b: 2 }, { b: 2, a: 1 }), true);
    assert.equal(equal({ a: { b: [1, { c: 'x' }] } }, { a: { b: [1, { c: 'x' }] } }), true);
    assert.equal(equal({ '/': 1, z: 2, '10': 3 }, { '10': 3, z: 2, '/': 1 }), true);
    assert.equal(equal({ a: 1 }, { a: 2 }), false);
    assert.equal(equal({ a: 1 }, { b: 1 }), false);
    assert.equal(equal({ a: 1 }, { a: 1, b: 2 }), false);
    assert.equal(equal({ a: 1, b: undefined }, { a: 1 }), false);
    assert.equal(equal({ a: undefined }, { b: undefined }), false);
    assert.equal(equal({ a: { b: 1 } }, { a: { b: 1, c: 1 } }), false);
  });

  it('S18 objects with a null prototype are plain objects', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    assert.equal(equal(bare, { a: 1 }), true);
    assert.equal(equal(bare, { a: 2 }), false);
  });

  it('S18 an array never equals an object', () => {
    assert.equal(equal([], {}), false);
    assert.equal(equal(['x'], { 0: 'x' }), false);
    assert.equal(equal(['x'], { 0: 'x', length: 1 }), false);
    assert.equal(equal({ list: [] }, { list: {} }), false);
  });

  it('S18 class instances compare by reference', () => {
    const p = new Point(1, 2);
    assert.equal(equal(p, p), true);
    assert.equal(equal(new Point(1, 2), new Point(1, 2)), false);
    assert.equal(equal(new Point(1, 2), { x: 1, y: 2 }), false);
    assert.equal(equal({ at: p }, { at: p }), true);
    assert.equal(equal({ at: new Point(1, 2) }, { at: new Point(1, 2) }), false);
    assert.equal(equal([p], [p]), true);
    assert.equal(equal([new Point(0, 0)], [new Point(0, 0)]), false);
  });

  it('S18 built-in objects other than arrays compare by reference', () => {
    const d = new Date(0);
    assert.equal(equal(d, d), true);
    assert.equal(equal(new Date(0), new Date(0)), false);
    assert.equal(equal(new Map([['a', 1]]), new Map([['a', 1]])), false);
    assert.equal(equal(new Set([1]), new Set([1])), false);
    assert.equal(equal(/a/, /a/), false);
    assert.equal(equal(new Uint8Array([1]), new Uint8Array([1])), false);
    assert.equal(equal(new Map(), {}), false);
  });

  it('S18 the result is a boolean', () => {
    assert.equal(typeof deepEqual({ a: 1 }, { a: 1 }), 'boolean');
    assert.equal(typeof deepEqual(1, 2), 'boolean');
  });
});

/** `leaf` inside `depth` containers, alternating arrays and objects from the outside in. */
function nested(depth: number, leaf: unknown): unknown {
  let value = leaf;
  for (let i = depth; i > 0; i--) value = i % 2 === 0 ? [value] : { inner: value };
  return value;
}

describe('deepEqual at any depth (S134)', () => {
  it('S134 compares values nested 50,000 levels deep without overflowing the stack', () => {
    assert.equal(equal(nested(50_000, 'leaf'), nested(50_000, 'leaf')), true);
    assert.equal(equal(nested(50_000, 'leaf'), nested(50_000, 'other')), false);
    assert.equal(equal(nested(50_000, NaN), nested(50_000, NaN)), true);
    assert.equal(equal(nested(50_000, 'leaf'), nested(49_999, 'leaf')), false);
    assert.equal(equal(nested(50_000, [1, 2]), nested(50_000, [1, 2, 3])), false);
    assert.equal(equal(nested(50_000, { a: 1 }), nested(50_000, { b: 1 })), false);
    assert.equal(equal(nested(50_000, [1]), nested(50_000, { 0: 1 })), false);
  });

  it('S134 deep values keep the rules of S18: order of keys ignored, instances by reference, siblings compared', () => {
    const point = new Point(1, 2);
    const deep = (tail: unknown): unknown => nested(20_000, { z: tail, a: [1, { b: point }] });
    assert.equal(equal(deep(nested(20_000, 1)), nested(20_000, { a: [1, { b: point }], z: nested(20_000, 1) })), true);
    assert.equal(equal(deep(1), nested(20_000, { z: 1, a: [1, { b: new Point(1, 2) }] })), false);
    assert.equal(equal(deep(1), nested(20_000, { z: 1, a: [1, { b: point }], c: undefined })), false);
    assert.equal(equal(deep(nested(20_000, 1)), deep(nested(20_000, 2))), false);
  });

  it('S134 values that contain themselves compare in bounded time, without a RangeError', () => {
    const selfList = (): unknown[] => {
      const list: unknown[] = [];
      list.push(list);
      return list;
    };
    assert.equal(equal(selfList(), selfList()), true);
    // Two references to itself per level: comparing branch by branch would never end.
    const fork = (n: number): Record<string, unknown> => {
      const node: Record<string, unknown> = { n };
      node.left = node;
      node.right = node;
      return node;
    };
    assert.equal(equal(fork(1), fork(1)), true);
    assert.equal(equal(fork(1), fork(2)), false);
    // Equal when they unfold to the same infinite value, however the cycle is laid out.
    const twoStep: Record<string, unknown> = { n: 1 };
    const other: Record<string, unknown> = { n: 1, left: twoStep, right: twoStep };
    twoStep.left = other;
    twoStep.right = other;
    assert.equal(equal(fork(1), twoStep), true);
    other.n = 2;
    assert.equal(equal(fork(1), twoStep), false);
  });

  it('S134 a controller compares deep values when they are written again', () => {
    const state = new ControllerSync(new InMemoryBackend());
    assert.equal(state.setState('/deep', nested(50_000, 1)), true);
    assert.equal(state.setState('/deep', nested(50_000, 1)), false);
    assert.equal(state.setState('/deep', nested(50_000, 2)), true);
  });
});

describe('MISSING (S13)', () => {
  it('S13 MISSING is a unique symbol, unlike null, undefined or a registered symbol', () => {
    assert.equal(typeof MISSING, 'symbol');
    assert.notEqual(MISSING, Symbol.for('restate.MISSING'));
    assert.notEqual(MISSING as unknown, null);
    assert.notEqual(MISSING as unknown, undefined);
  });

  it('S13 a backend reports a missing node with MISSING, or with the given default itself', () => {
    const backend = new InMemoryBackend();
    assert.equal(backend.read('/nothing'), MISSING);
    const dflt = { d: 1 };
    assert.equal(backend.read('/nothing', dflt), dflt);
    assert.equal(backend.read('/nothing', null), null);
    assert.equal(backend.read('/nothing', undefined), undefined);
  });

  it('S13 a stored null is not missing in the backend', () => {
    const backend = new InMemoryBackend();
    backend.write('/n', null);
    assert.equal(backend.read('/n'), null);
    assert.equal(backend.read('/n', 'dflt'), null);
  });

  it('S13 the backend rejects undefined and MISSING', () => {
    const backend = new InMemoryBackend();
    backend.write('/v', 1);
    assert.throws(() => backend.write('/v', undefined), RestateValueError);
    assert.throws(() => backend.write('/v', MISSING), RestateValueError);
    assert.equal(backend.read('/v'), 1);
  });
});

forEachController('MISSING through the controller', (kind) => {
  it('S13 a missing path reads as undefined, or as the default', async () => {
    const c = kind.make();
    assert.equal(await c.getState('/m'), undefined);
    assert.equal(await c.getState('/m', { default: 0 }), 0);
    assert.equal(await c.getState('/m', { default: null }), null);
    const dflt = ['d'];
    assert.equal(await c.getState('/m', { default: dflt }), dflt);
  });

  it('S13 the controller never hands out MISSING', async () => {
    const c = kind.make();
    const seen: unknown[] = [];
    c.subscribe('/m', (event: AnyEvent) => {
      seen.push(event.prevValue, event.newValue);
    });
    await c.setState('/m', 1);
    await c.delState('/m');
    await c.ping('/m');
    assert.ok(!seen.includes(MISSING));
    assert.deepEqual(seen, [undefined, 1, 1, undefined, undefined, undefined]);
  });

  const refused: [string, unknown][] = [
    ['undefined', undefined],
    ['MISSING', MISSING],
  ];
  for (const [label, value] of refused) {
    it(`S13 writing ${label} throws a RestateValueError and writes nothing`, async () => {
      const c = kind.make();
      let notified = 0;
      c.subscribe('/', () => {
        notified++;
      });
      await assert.rejects(async () => c.setState('/v', value), (error: unknown) => {
        assert.ok(error instanceof RestateValueError, String(error));
        assert.ok(error instanceof RestateError);
        assert.equal(error.code, 'value');
        assert.ok(error.message.startsWith('[restate] ['), error.message);
        assert.ok(error.message.includes('/v'), error.message);
        return true;
      });
      assert.equal(await c.backend.read('/v'), MISSING);
      await c.setState('/v', 1);
      await assert.rejects(async () => c.setState('/v', value, { eqFunc: () => false }), RestateValueError);
      assert.equal(await c.getState('/v'), 1);
      assert.equal(notified, 1);
    });
  }
});
