import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ancestorsOf, parentPath, statePathOfRelative, topMost, valueFileSegments } from '../../../extension/sources/statePaths';

describe('file events to state paths (S125)', () => {
  test('a value file maps to its node, a folder to its node', () => {
    assert.equal(statePathOfRelative(['x.json']), '/x');
    assert.equal(statePathOfRelative(['users', 'alice.json']), '/users/alice');
    assert.equal(statePathOfRelative(['users']), '/users');
    assert.equal(statePathOfRelative(['a', 'b']), '/a/b');
  });
  test('only the last .json is the value suffix', () => {
    assert.equal(statePathOfRelative(['file.json.json']), '/file.json');
    assert.equal(statePathOfRelative(['v1.2.json']), '/v1.2');
  });
  test('temporary files of atomic writes, and anything inside them, are ignored (S84)', () => {
    assert.equal(statePathOfRelative(['.x.json.abc123.tmp']), undefined);
    assert.equal(statePathOfRelative(['a', '.b.json.1.tmp']), undefined);
    assert.equal(statePathOfRelative(['.tmp.tmp', 'c.json']), undefined);
  });
  test('dotted names that are not temporary are state', () => {
    assert.equal(statePathOfRelative(['.hidden.json']), '/.hidden');
    assert.equal(statePathOfRelative(['notes.tmp']), '/notes.tmp');
  });
  test('the state folder itself and a bare ".json" map to nothing', () => {
    assert.equal(statePathOfRelative([]), undefined);
    assert.equal(statePathOfRelative(['.json']), undefined);
  });
  test('value file segments', () => {
    assert.deepEqual(valueFileSegments('/a/b'), ['a', 'b.json']);
    assert.equal(valueFileSegments('/'), undefined);
  });
  test('parents, ancestors, top-most paths', () => {
    assert.equal(parentPath('/a/b'), '/a');
    assert.equal(parentPath('/a'), '/');
    assert.equal(parentPath('/'), '/');
    assert.deepEqual(ancestorsOf('/a/b/c'), ['/a/b', '/a', '/']);
    assert.deepEqual(topMost(['/a/b', '/a', '/c', '/c', '/ab']), ['/a', '/c', '/ab']);
    assert.deepEqual(topMost(['/x', '/']), ['/']);
  });
});
