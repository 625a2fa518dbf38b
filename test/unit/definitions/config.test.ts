import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  addDerivation,
  addTracker,
  applyEdits,
  parseDefinitions,
  positionAt,
  removeDerivation,
  removeTracker,
} from '../../../extension/definitions/config';

const withComments = `{
  // Totals of the shop, recomputed whenever an order changes.
  "derivations": [
    { "dest": "/total", "sources": ["/a", "/b"], "transform": "sources[0] + sources[1]" }, // the sum
  ],
  /* trackers come later */
}
`;

describe('definitions file: parsing', () => {
  it('reads derivations and trackers, canonicalising paths', () => {
    const parsed = parseDefinitions(`{
      "derivations": [{ "dest": "total/", "sources": ["a", "/b", "a"], "transform": "sources[0] + sources[1]" }],
      "trackers": [{ "name": "view", "expression": "return get('/flag') ? get('/new') : get('/old')", "dest": "/view" }]
    }`);
    assert.deepEqual(parsed.problems, []);
    assert.equal(parsed.derivations.length, 1);
    assert.equal(parsed.derivations[0]!.id, 'derive:/total');
    assert.deepEqual(parsed.derivations[0]!.sources, ['/a', '/b']);
    assert.equal(parsed.derivations[0]!.code.form, 'expression');
    assert.equal(parsed.trackers[0]!.id, 'tracker:view');
    assert.equal(parsed.trackers[0]!.dest, '/view');
    assert.equal(parsed.trackers[0]!.code.form, 'body');
  });

  it('reports each broken entry at its line and column, and keeps the sound ones', () => {
    const text = [
      '{',
      '  "derivations": [',
      '    { "dest": "/a", "sources": ["/x"], "transform": "sources[0] +" },',
      '    { "dest": "/b", "sources": ["/x"], "transform": "sources[0] * 2" },',
      '    { "dest": "/c/*", "sources": ["/x"], "transform": "1" },',
      '    { "dest": "/d", "sources": "/x", "transform": "1" },',
      '    { "dest": "/b", "sources": ["/y"], "transform": "2" }',
      '  ],',
      '  "trackers": [{ "name": "t", "expression": "get(\'/x\')" }, { "expression": "1" }]',
      '}',
    ].join('\n');
    const parsed = parseDefinitions(text);
    assert.deepEqual(parsed.derivations.map((d) => d.id), ['derive:/b']);
    assert.deepEqual(parsed.trackers.map((t) => t.id), ['tracker:t']);
    const at = parsed.problems.map((p) => ({ ...positionAt(text, p.offset), message: p.message }));
    // The syntax error points at the transform string on line 3 (zero-based 2).
    assert.deepEqual(at.map(({ line, character }) => [line, character]), [[2, 52], [4, 14], [5, 31], [6, 14], [8, 59]]);
    assert.match(at[0]!.message, /derivations\[0\]: syntax error/);
    assert.match(at[1]!.message, /pattern/);
    assert.match(at[2]!.message, /"sources" must be an array/);
    assert.match(at[3]!.message, /already derived/);
    assert.match(at[4]!.message, /needs a "name"/);
  });

  it('reports invalid JSONC where it is, and still reads what came before', () => {
    const text = '{\n  "derivations": [\n    { "dest": "/a", "sources": ["/x"], "transform": "1" }\n  ]\n  "trackers": []\n}';
    const parsed = parseDefinitions(text);
    assert.equal(parsed.derivations.length, 1);
    assert.equal(parsed.problems.length, 1);
    assert.deepEqual(positionAt(text, parsed.problems[0]!.offset), { line: 4, character: 2 });
    assert.match(parsed.problems[0]!.message, /CommaExpected/);
  });

  it('rejects a file that is not an object', () => {
    const parsed = parseDefinitions('[1, 2]');
    assert.match(parsed.problems[0]!.message, /must hold an object/);
  });
});

describe('definitions file: editing keeps comments and formatting', () => {
  it('appends a derivation after a one-line entry without reflowing it', () => {
    const text = applyEdits(withComments, addDerivation(withComments, { dest: '/double', sources: ['/a'], transform: 'sources[0] * 2' }));
    assert.ok(text.includes('// Totals of the shop, recomputed whenever an order changes.'));
    assert.ok(text.includes('/* trackers come later */'));
    assert.ok(text.includes('{ "dest": "/total", "sources": ["/a", "/b"], "transform": "sources[0] + sources[1]" },'));
    const parsed = parseDefinitions(text);
    assert.deepEqual(parsed.problems, []);
    assert.deepEqual(parsed.derivations.map((d) => d.dest), ['/total', '/double']);
  });

  it('replaces the entry of an existing dest in place', () => {
    const text = applyEdits(withComments, addDerivation(withComments, { dest: 'total', sources: ['/c'], transform: 'sources[0]' }));
    const parsed = parseDefinitions(text);
    assert.equal(parsed.derivations.length, 1);
    assert.deepEqual(parsed.derivations[0]!.sources, ['/c']);
    assert.ok(text.includes('// Totals of the shop'));
  });

  it('adds a trackers array when there is none, and removes entries again', () => {
    let text = applyEdits(withComments, addTracker(withComments, { name: 'view', expression: "get('/a')", dest: '/view' }));
    assert.deepEqual(parseDefinitions(text).trackers.map((t) => t.name), ['view']);
    text = applyEdits(text, removeTracker(text, 'view'));
    text = applyEdits(text, removeDerivation(text, '/total'));
    const parsed = parseDefinitions(text);
    assert.deepEqual([parsed.derivations.length, parsed.trackers.length, parsed.problems.length], [0, 0, 0]);
    assert.ok(text.includes('// Totals of the shop'));
    assert.deepEqual(removeTracker(text, 'absent'), []);
  });

  it('creates the object in an empty file', () => {
    const text = applyEdits('', addTracker('', { name: 't', expression: '1' }));
    assert.deepEqual(JSON.parse(text), { trackers: [{ name: 't', expression: '1' }] });
  });
});
