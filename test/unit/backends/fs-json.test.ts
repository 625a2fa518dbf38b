import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonSerializer } from '../../../extension/restate/index';

const dumps = (value: unknown): string => jsonSerializer.serialize(value) as string;
const loads = (text: string): unknown => jsonSerializer.deserialize(text);

describe('jsonSerializer', () => {
  it('S92 writes the example exactly as Python json.dumps does', () => {
    assert.equal(dumps({ name: 'Linus Ångström', tags: [1, 2.5, null] }), '{"name": "Linus \\u00c5ngstr\\u00f6m", "tags": [1, 2.5, null]}');
  });

  it('S92 uses Python separators, no other whitespace and no trailing newline', () => {
    assert.equal(dumps({ a: [1, { b: true, c: false }], d: {}, e: [] }), '{"a": [1, {"b": true, "c": false}], "d": {}, "e": []}');
    assert.equal(dumps('x'), '"x"');
    assert.equal(dumps(null), 'null');
  });

  it('S92 keeps the object key order', () => {
    assert.equal(dumps({ z: 1, a: 2, m: 3 }), '{"z": 1, "a": 2, "m": 3}');
  });

  it('S92 escapes strings like ensure_ascii: short escapes, lowercase \\u, surrogate pairs, DEL, lone surrogates, "/" kept', () => {
    assert.equal(dumps('"\\\n\r\t\b\f'), '"\\"\\\\\\n\\r\\t\\b\\f"');
    assert.equal(dumps('\u0000\u001f\u007f'), '"\\u0000\\u001f\\u007f"');
    assert.equal(dumps('a/b ~'), '"a/b ~"');
    assert.equal(dumps('😀'), '"\\ud83d\\ude00"');
    assert.equal(dumps('\ud800x'), '"\\ud800x"');
    assert.equal(dumps('日本'), '"\\u65e5\\u672c"');
    assert.equal(dumps({ 'ké': 1 }), '{"k\\u00e9": 1}');
  });

  it('S93 writes integers in full and other numbers with shortest digits, exponents as Python', () => {
    const cases: [number, string][] = [
      [0, '0'], [-0, '0'], [-7, '-7'], [2 ** 53 - 1, '9007199254740991'], [1e21, '1000000000000000000000'],
      [0.1, '0.1'], [2.5, '2.5'], [-0.125, '-0.125'], [0.0001, '0.0001'], [0.00001, '1e-05'], [1.5e-7, '1.5e-07'],
      [1.234e-100, '1.234e-100'], [123456.789, '123456.789'],
    ];
    for (const [value, text] of cases) assert.equal(dumps(value), text, `${value}`);
  });

  it('S93 integers written in full read back as the same number', () => {
    for (const value of [1e21, 1.5e300, -1e22]) assert.equal(loads(dumps(value)), value);
  });

  it('S94 names the place in the value that cannot be serialised', () => {
    const cases: [unknown, string][] = [
      [{ tags: [1, 2, NaN] }, '.tags[2]'],
      [{ a: { 'odd key': Infinity } }, '.a["odd key"]'],
      [[1, () => 1], '[1]'],
      [{ big: 1n }, '.big'],
      [{ s: Symbol('x') }, '.s'],
      [[undefined], '[0]'],
      [{ d: new Date(0) }, '.d'],
      [{ m: new Map() }, '.m'],
    ];
    for (const [value, location] of cases) {
      assert.throws(() => dumps(value), (error: Error & { location?: string }) => error.location === location, location);
    }
    const sparse: unknown[] = [1];
    sparse[2] = 3;
    assert.throws(() => dumps({ s: sparse }), (error: Error & { location?: string }) => error.location === '.s[1]');
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { back: cyclic };
    assert.throws(() => dumps(cyclic), /cycle/);
  });

  it('S94 drops object properties that are undefined, accepts null-prototype objects and shared references', () => {
    const bare = Object.create(null) as Record<string, unknown>;
    bare.k = 1;
    const shared = [1];
    assert.equal(dumps({ a: undefined, b: bare, c: shared, d: shared }), '{"b": {"k": 1}, "c": [1], "d": [1]}');
  });

  it('S95 reads NaN, Infinity and -Infinity tokens, and skips a BOM', () => {
    const value = loads('{"a": NaN, "b": [Infinity, -Infinity]}') as { a: number; b: number[] };
    assert.ok(Number.isNaN(value.a));
    assert.deepEqual(value.b, [Infinity, -Infinity]);
    assert.deepEqual(loads('\ufeff{"x": 1}'), { x: 1 });
  });

  it('S86 parse errors carry line and column', () => {
    assert.throws(() => loads('{\n  "a": 1,\n  "b": }'), /line 3, column 8/);
    assert.throws(() => loads('[1, 2'), /line 1, column 6/);
    assert.throws(() => loads('{"a": 01}'), /line 1/);
    assert.throws(() => loads('{"a": NaNx}'), /line 1/);
  });

  it('S95 the lenient reader stays strict JSON otherwise, and keeps "__proto__" an ordinary key', () => {
    for (const bad of ['[1,]', "{'a': 1}", '{"a": "\t"}', 'nan', '+1', '"\\x"', '1 2']) {
      assert.throws(() => loads(`[NaN, ${bad}]`), SyntaxError, bad);
    }
    const parsed = loads('{"__proto__": {"x": 1}, "n": NaN}') as Record<string, unknown>;
    assert.deepEqual(Object.keys(parsed), ['__proto__', 'n']);
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
    assert.deepEqual(loads('["\\u00e9\\n\\/", -1.5e-3, true, false, null, {}]'), ['é\n/', -1.5e-3, true, false, null, {}]);
  });

  it('S134 the lenient reader follows 1,000 levels and refuses deeper ones with a parse error, not a RangeError', () => {
    const deepNaN = (depth: number): string => '['.repeat(depth) + 'NaN' + ']'.repeat(depth);
    let value = loads(deepNaN(1000));
    for (let i = 0; i < 1000; i++) value = (value as unknown[])[0];
    assert.ok(Number.isNaN(value));
    for (const depth of [1001, 100_000]) {
      assert.throws(() => loads(deepNaN(depth)), (error: unknown) => error instanceof SyntaxError && /nested deeper than 1000 levels at line 1, column 1001\b/.test(error.message), String(depth));
    }
    // Standard JSON goes to the built-in parser, which reads any depth.
    assert.ok(Array.isArray(loads('['.repeat(100_000) + ']'.repeat(100_000))));
  });
});
