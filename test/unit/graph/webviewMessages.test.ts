import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isFromWebview, isWebviewState } from '../../../extension/graph/webviewMessages';

describe('isFromWebview', () => {
  test('accepts every message kind with well-typed fields', () => {
    for (const message of [
      { type: 'ready' },
      { type: 'open', id: '/a' },
      { type: 'selectHost', hostId: 'h' },
      { type: 'laidOut', nodes: 3, edges: 2, ms: 1.5 },
      { type: 'select', id: 'derive:/doubled' },
      { type: 'select', id: null },
      { type: 'define', what: 'derive' },
      { type: 'define', what: 'track' },
    ]) assert.equal(isFromWebview(message), true, JSON.stringify(message));
  });

  test('drops unknown types and fields of the wrong type', () => {
    for (const message of [
      null, 'ready', [], {}, { type: 'nope' },
      { type: 'open' }, { type: 'open', id: 1 },
      { type: 'selectHost', hostId: null },
      { type: 'laidOut', nodes: '3', edges: 2, ms: 1 }, { type: 'laidOut', nodes: 3, edges: 2 },
      { type: 'laidOut', nodes: 3, edges: 2, ms: Number.NaN },
      { type: 'select' }, { type: 'select', id: 3 },
      { type: 'define' }, { type: 'define', what: 'delete' },
    ]) assert.equal(isFromWebview(message), false, JSON.stringify(message));
  });
});

describe('isWebviewState', () => {
  test('accepts a state with its fields present or absent', () => {
    assert.equal(isWebviewState({}), true);
    assert.equal(isWebviewState({ hostId: 'h', filter: 'x', view: { x: 1, y: 2, scale: 1 } }), true);
    assert.equal(isWebviewState({ hostId: 'h', selected: 'tracker:view', run: 12 }), true);
  });

  test('refuses a state whose fields have the wrong type', () => {
    for (const state of [null, 1, { hostId: 5 }, { filter: [] }, { view: { x: 1 } }, { view: 'v' }, { selected: 1 }, { run: '12' }]) {
      assert.equal(isWebviewState(state), false, JSON.stringify(state));
    }
  });
});
