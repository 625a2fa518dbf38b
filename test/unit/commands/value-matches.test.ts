import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeMatches, findPaths, matchesInValue, mayContain, searchTextOf } from '../../../extension/commands/valueMatches';

const alice = { name: 'Alice', age: 34, roles: ['admin', 'dev'] };

describe('finding text inside values', () => {
  test('a leaf inside an object or array matches, with its key path', () => {
    const found = matchesInValue(alice, 'dev');
    assert.deepEqual(found, { matches: [{ keys: ['roles', 1], text: '"dev"' }], more: false });
    assert.equal(describeMatches(found), 'roles[1]: "dev"');
  });
  test('case is ignored; numbers, booleans and null match by their JSON text', () => {
    assert.deepEqual(matchesInValue(alice, 'ALI').matches, [{ keys: ['name'], text: '"Alice"' }]);
    assert.deepEqual(matchesInValue({ port: 8080, on: true, proxy: null }, '80').matches, [{ keys: ['port'], text: '8080' }]);
    assert.deepEqual(matchesInValue({ port: 8080, on: true, proxy: null }, 'nul').matches, [{ keys: ['proxy'], text: 'null' }]);
  });
  test('a key whose name matches is shown with the preview of its value', () => {
    const found = matchesInValue(alice, 'role');
    assert.deepEqual(found.matches, [{ keys: ['roles'], text: '[2 items]' }]);
    assert.equal(describeMatches(found), 'roles: [2 items]');
  });
  test('matches come in document order, at most the limit, and say when there are more', () => {
    const found = matchesInValue({ a: 'x1', b: { c: ['x2', 'x3'] }, 'odd key': 'x4' }, 'x', 3);
    assert.deepEqual(found.matches.map((match) => match.keys), [['a'], ['b', 'c', 0], ['b', 'c', 1]]);
    assert.equal(found.more, true);
    assert.equal(describeMatches(found), 'a: "x1"  ·  b.c[0]: "x2"  ·  b.c[1]: "x3"  ·  …');
    assert.equal(describeMatches(matchesInValue({ 'odd key': 'x4' }, 'x4')), '["odd key"]: "x4"');
  });
  test('a long string is cut around the match, which stays in the text', () => {
    const text = `${'a'.repeat(100)}needle${'b'.repeat(100)}`;
    const [match] = matchesInValue({ log: text }, 'NEEDLE').matches;
    assert.ok(match.text.includes('needle'), match.text);
    assert.ok(match.text.length <= 45, match.text);
    assert.match(match.text, /^"…a+needleb+…"$/);
    const [atStart] = matchesInValue({ log: `needle${'b'.repeat(100)}` }, 'needle').matches;
    assert.match(atStart.text, /^"needleb+…"$/);
  });
  test('a value that is itself the match is repeated only when its preview does not show it', () => {
    assert.deepEqual(matchesInValue('dark', 'dar').matches, []);
    const long = `${'x'.repeat(80)} dark`;
    assert.deepEqual(matchesInValue(long, 'dark').matches.map((match) => match.keys), [[]]);
    assert.match(describeMatches(matchesInValue(long, 'dark')), /^"….*dark"$/);
  });
  test('nothing matches an empty query or text that is not there', () => {
    assert.deepEqual(matchesInValue(alice, '  '), { matches: [], more: false });
    assert.deepEqual(matchesInValue(alice, 'ops'), { matches: [], more: false });
    assert.deepEqual(matchesInValue({}, 'a'), { matches: [], more: false });
    assert.equal(describeMatches({ matches: [], more: false }), '');
  });
});

describe('ruling out values before walking them', () => {
  test('a value may contain a query found in its keys or leaves, ignoring case, and no other', () => {
    const text = searchTextOf({ Name: 'Alice', roles: ['admin', 'dev'], quote: 'say "hi"', port: 8080 });
    assert.equal(mayContain(text, 'DEV'), true);
    assert.equal(mayContain(text, 'name'), true);
    assert.equal(mayContain(text, '808'), true);
    assert.equal(mayContain(text, 'say "hi'), true, 'quotes are compared as JSON escapes them');
    assert.equal(mayContain(text, 'ops'), false);
    assert.equal(mayContain(text, ' '), false);
  });
  test('only the start of a large value is kept', () => {
    const large = { log: 'x'.repeat(200_000), tail: 'needle' };
    assert.ok(searchTextOf(large).length <= 64 * 1024);
    assert.equal(mayContain(searchTextOf(large), 'needle'), false);
    assert.equal(mayContain(searchTextOf({ tail: 'needle' }), 'needle'), true);
  });
});

describe('Find searching every path', () => {
  const items = Array.from({ length: 3000 }, (_, index) => ({ path: `/users/u${index}`, description: String(index), value: index === 7 ? { roles: ['admin', 'dev'] } : index, searchText: index === 7 ? searchTextOf({ roles: ['admin', 'dev'] }) : searchTextOf(index) }));

  test('no text finds every path, up to the limit, in order, and counts them all', () => {
    const { shown, count } = findPaths(items, '', 1000);
    assert.equal(count, 3000);
    assert.equal(shown.length, 1000);
    assert.deepEqual(shown.slice(0, 2).map((item) => item.path), ['/users/u0', '/users/u1']);
  });

  test('each word must occur in the path or the preview; the whole text may occur in the value, which the detail tells', () => {
    assert.deepEqual(findPaths(items, 'u2999', 1000).shown.map((item) => item.path), ['/users/u2999']);
    assert.deepEqual(findPaths(items, 'USERS u2999', 1000).shown.map((item) => item.path), ['/users/u2999']);
    assert.equal(findPaths(items, 'users nobody', 1000).count, 0);
    const dev = findPaths(items, 'dev', 1000);
    assert.deepEqual(dev.shown.map((item) => [item.path, item.detail]), [['/users/u7', 'roles[1]: "dev"']]);
  });

  test('the state folder shows in the detail, and its label is searched', () => {
    const labelled = [{ path: '/a', folderLabel: 'one/.state', value: 'x', searchText: searchTextOf('x') }, { path: '/a', folderLabel: 'two/.state', value: 'y', searchText: searchTextOf('y') }];
    assert.deepEqual(findPaths(labelled, 'two a', 10).shown.map((item) => item.detail), ['two/.state']);
    assert.deepEqual(findPaths(labelled, '', 10).shown.map((item) => item.detail), ['one/.state', 'two/.state']);
  });
});
