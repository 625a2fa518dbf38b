import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { GraphView, GraphViewEdge, GraphViewNode } from '../../../extension/protocol';
import { chainOnGraph, neighbourhoodOf } from '../../../webview/neighbourhood';

//   /a ──▶ derive:/b ──▶ /b ──▶ derive:/c ──▶ /c
//                        /b ┄┄▶ tracker:t ··▶ /t
//   /x ──▶ derive:/y ──▶ /y                            (unrelated)
//   /p ──▶ derive:/q ──▶ /q ──▶ derive:/p ──▶ /p       (a cycle)
function graphOf(edges: [string, string, GraphViewEdge['kind']][]): GraphView {
  const ids = new Set(edges.flatMap(([from, to]) => [from, to]));
  const kindOf = (id: string): GraphViewNode['kind'] => (id.startsWith('derive:') ? 'derivation' : id.startsWith('tracker:') ? 'tracker' : 'path');
  return {
    nodes: [...ids].map((id) => ({ id, kind: kindOf(id), label: id, runCount: 0, lastRunMs: null, lastError: null, inactive: false })),
    edges: edges.map(([from, to, kind]) => ({ id: `${from}->${to}`, from, to, kind })),
  };
}

const graph = graphOf([
  ['/a', 'derive:/b', 'source'], ['derive:/b', '/b', 'dest'], ['/b', 'derive:/c', 'source'], ['derive:/c', '/c', 'dest'],
  ['/b', 'tracker:t', 'read'], ['tracker:t', '/t', 'write'],
  ['/x', 'derive:/y', 'source'], ['derive:/y', '/y', 'dest'],
  ['/p', 'derive:/q', 'source'], ['derive:/q', '/q', 'dest'], ['/q', 'derive:/p', 'source'], ['derive:/p', '/p', 'dest'],
]);

describe('the neighbourhood of a selected node', () => {
  it('holds everything upstream and downstream, transitively, and nothing unrelated', () => {
    const around = neighbourhoodOf(graph, '/b');
    assert.deepEqual([...around.upstream].sort(), ['/a', 'derive:/b']);
    assert.deepEqual([...around.downstream].sort(), ['/c', '/t', 'derive:/c', 'tracker:t']);
    assert.equal(around.edges.get('/a->derive:/b'), 'upstream');
    assert.equal(around.edges.get('derive:/b->/b'), 'upstream');
    assert.equal(around.edges.get('tracker:t->/t'), 'downstream');
    assert.equal(around.edges.has('/x->derive:/y'), false);
  });

  it('ends at a cycle instead of going round it', () => {
    const around = neighbourhoodOf(graph, 'derive:/q');
    assert.deepEqual([...around.upstream].sort(), ['/p', 'derive:/p', '/q'].sort());
    assert.deepEqual([...around.downstream].sort(), ['/p', '/q', 'derive:/p'].sort());
  });

  it('is empty for a node with no edges', () => {
    const around = neighbourhoodOf(graphOf([['/a', 'derive:/b', 'source']]), '/lonely');
    assert.equal(around.upstream.size + around.downstream.size + around.edges.size, 0);
  });
});

describe('a cause chain on the graph', () => {
  it('marks the nodes and the edges between consecutive steps, and the run\'s writes', () => {
    const chain = chainOnGraph(graph, { origin: 'file', steps: ['/a', 'derive:/b', '/b', 'tracker:t'], writes: ['/t'], complete: true });
    assert.deepEqual([...chain.nodes].sort(), ['/a', '/b', '/t', 'derive:/b', 'tracker:t']);
    assert.deepEqual([...chain.edges].sort(), ['/a->derive:/b', '/b->tracker:t', 'derive:/b->/b', 'tracker:t->/t']);
  });

  it('leaves out steps the graph does not have, such as a path matched by a pattern', () => {
    const chain = chainOnGraph(graph, { origin: 'api', steps: ['/users/ada', 'derive:/b'], writes: ['/b'], complete: true });
    assert.deepEqual([...chain.nodes].sort(), ['/b', 'derive:/b']);
    assert.deepEqual([...chain.edges], ['derive:/b->/b']);
  });
});
