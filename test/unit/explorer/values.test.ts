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
