import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { childrenPreview, innerEntries, isExpandable, keyPathText, prettyValue, previewValue, valueKind } from '../../../extension/explorer/preview';
import { ownValueOf } from '../../../extension/sources/stateHost';

describe('previews', () => {
  test('short descriptions by type', () => {
    assert.equal(previewValue('Alice'), '"Alice"');
    assert.equal(previewValue(42), '42');
    assert.equal(previewValue(true), 'true');
    assert.equal(previewValue(null), 'null');
    assert.equal(previewValue({ a: 1, b: 2, c: 3 }), '{3 keys}');
    assert.equal(previewValue({ a: 1 }), '{1 key}');
    assert.equal(previewValue([1, 2, 3, 4, 5]), '[5 items]');
    assert.equal(previewValue([1]), '[1 item]');
  });
  test('a folder node tells how many children it has', () => {
    assert.equal(childrenPreview(1), '1 child');
    assert.equal(childrenPreview(5), '5 children');
    assert.equal(childrenPreview(10_000), '10000 children');
  });
  test('long strings are cut', () => {
    const preview = previewValue('x'.repeat(500));
    assert.ok(preview.length <= 60);
    assert.ok(preview.endsWith('…'));
  });
  test('tooltips are pretty-printed and cut', () => {
    assert.equal(prettyValue({ a: [1] }), '{\n  "a": [\n    1\n  ]\n}');
    assert.ok(prettyValue({ big: 'y'.repeat(5000) }).endsWith('\n…'));
  });
  test('tooltips print like JSON.stringify with two-space indents', () => {
    const samples: unknown[] = [
      { name: 'Alice', tags: ['a', 'b'], empty: {}, none: [], nested: { deep: [1, { x: null }] }, n: -1.5e-7, t: true, 'odd "key"': 'line\nbreak' },
      [], {}, 'text', 0, null, [undefined, NaN, Infinity], { skipped: undefined, kept: 1 },
    ];
    for (const sample of samples) assert.equal(prettyValue(sample), JSON.stringify(sample, null, 2));
    assert.equal(prettyValue(undefined), 'undefined');
  });
  test('a tooltip of a value nested too deep for JSON.stringify, or holding itself, shows … beyond a depth', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 10_000; i++) deep = i % 2 === 0 ? [deep] : { inner: deep };
    const text = prettyValue(deep, Number.MAX_SAFE_INTEGER);
    assert.match(text, /^\{\n {2}"inner": \[\n {4}\{/);
    assert.ok(text.includes('…'));
    assert.ok(!text.includes('bottom'));
    assert.equal(previewValue(deep), '{1 key}');
    const cut = prettyValue(deep);
    assert.ok(cut.length <= 2002 && cut.endsWith('\n…'));
    const loop: Record<string, unknown> = { name: 'loop' };
    loop.self = loop;
    assert.ok(prettyValue(loop).includes('"self": {'));
  });
  test('kinds, expandability and inner entries', () => {
    assert.equal(valueKind([]), 'array');
    assert.equal(valueKind(null), 'null');
    assert.equal(valueKind({}), 'object');
    assert.equal(isExpandable({}), false);
    assert.equal(isExpandable([0]), true);
    assert.equal(isExpandable('abc'), false);
    assert.deepEqual(innerEntries(['a', 'b']), [[0, 'a'], [1, 'b']]);
    assert.deepEqual(innerEntries({ k: 1 }), [['k', 1]]);
  });
  test('key paths', () => {
    assert.equal(keyPathText(['roles', 0, 'odd key']), '.roles[0]["odd key"]');
  });
  test('own value of a node read (S10)', () => {
    assert.deepEqual(ownValueOf(5, false), { hasValue: true, value: 5 });
    assert.deepEqual(ownValueOf({ '/': 5, a: 1 }, true), { hasValue: true, value: 5 });
    assert.deepEqual(ownValueOf({ a: 1 }, true), { hasValue: false, value: undefined });
    assert.deepEqual(ownValueOf({ a: 1 }, false), { hasValue: true, value: { a: 1 } });
  });
});
