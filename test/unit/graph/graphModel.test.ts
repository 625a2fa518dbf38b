import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EMPTY_DEFINITIONS, parseDefinitions } from '../../../extension/definitions/config';
import { applyGraphDiff, diffGraphViews, isEmptyDiff } from '../../../extension/graph/graphDiff';
import { buildGraphView } from '../../../extension/graph/graphModel';
import type { GraphSnapshot } from '../../../extension/restate/index';

//   /a ──▶ derive:/sum ──▶ /sum          /flag ┄┄▶ tracker:view ··▶ /view
//   /b ──┘                               /old  ┄┄┘
const definitions = parseDefinitions(JSON.stringify({
  derivations: [{ dest: '/sum', sources: ['/a', '/b'], transform: 'sources[0] + sources[1]' }],
  trackers: [{ name: 'view', expression: "get('/flag') ? get('/new') : get('/old')", dest: '/view' }],
}));

function snapshot(reads: string[], runs = 1, lastError: { name: string; message: string } | null = null): GraphSnapshot {
  return {
    nodes: [
      { kind: 'derivation', id: 'derive:/sum', dest: '/sum', sources: ['/a', '/b'], stats: { runCount: runs, lastRunMs: 0.5, lastError } },
      { kind: 'tracker', id: 'track:7', reads, stats: { runCount: 1, lastRunMs: 1, lastError: null } },
    ],
    edges: [],
  };
}

const idOf = (id: string): string | undefined => (id === 'track:7' ? 'tracker:view' : undefined);

describe('graph model', () => {
  it('merges the snapshot with the definitions: names, tracker writes, reads', () => {
    const view = buildGraphView(snapshot(['/flag', '/old']), definitions, idOf);
    assert.deepEqual(view.nodes.map((n) => `${n.kind} ${n.id}`), [
      'path /a', 'path /b', 'path /flag', 'path /old', 'path /sum', 'path /view', 'derivation derive:/sum', 'tracker tracker:view',
    ].sort((x, y) => x.split(' ')[1]!.localeCompare(y.split(' ')[1]!)));
    assert.deepEqual(view.edges.map((e) => `${e.from} ${e.kind} ${e.to}`).sort(), [
      '/a source derive:/sum', '/b source derive:/sum', '/flag read tracker:view', '/old read tracker:view', 'derive:/sum dest /sum', 'tracker:view write /view',
    ]);
    assert.equal(view.nodes.find((n) => n.id === 'tracker:view')?.label, 'view');
  });

  it('diffs a flag flip as a moved read edge and a new path node, nothing else', () => {
    const before = buildGraphView(snapshot(['/flag', '/old']), definitions, idOf);
    const after = buildGraphView(snapshot(['/flag', '/new']), definitions, idOf);
    const diff = diffGraphViews(before, after);
    assert.deepEqual(diff.addedNodes.map((n) => n.id), ['/new']);
    assert.deepEqual(diff.removedNodes, ['/old']);
    assert.deepEqual(diff.addedEdges.map((e) => e.id), ['/new->tracker:view']);
    assert.deepEqual(diff.removedEdges, ['/old->tracker:view']);
    assert.deepEqual(diff.changedNodes, []);
    assert.deepEqual(applyGraphDiff(before, diff), after);
  });

  it('diffs a run as a changed node only, with its count and error', () => {
    const before = buildGraphView(snapshot(['/flag', '/old']), definitions, idOf);
    const after = buildGraphView(snapshot(['/flag', '/old'], 2, { name: 'SandboxTimeoutError', message: 'timed out after 1000 ms' }), definitions, idOf);
    const diff = diffGraphViews(before, after);
    assert.deepEqual(diff.changedNodes.map((n) => [n.id, n.runCount, n.lastError]), [['derive:/sum', 2, 'SandboxTimeoutError: timed out after 1000 ms']]);
    assert.equal(diff.addedNodes.length + diff.removedNodes.length + diff.addedEdges.length + diff.removedEdges.length, 0);
    assert.ok(isEmptyDiff(diffGraphViews(after, after)));
  });

  it('applies a diff of statistics only without sorting the graph again: the same order, the same edges', () => {
    const before = buildGraphView(snapshot(['/flag', '/old']), definitions, idOf);
    const after = buildGraphView(snapshot(['/flag', '/old'], 3), definitions, idOf);
    const applied = applyGraphDiff(before, diffGraphViews(before, after));
    assert.deepEqual(applied, after);
    assert.equal(applied.edges, before.edges);
    assert.equal(applyGraphDiff(after, diffGraphViews(after, after)), after);
  });

  it('marks the derivations and trackers of another process with their owner, and a change of owner is a diff', () => {
    const app = buildGraphView(snapshot(['/flag']), EMPTY_DEFINITIONS, () => undefined, undefined, 'writer, pid 42');
    assert.deepEqual(app.nodes.filter((n) => n.owner !== undefined).map((n) => `${n.id} ${n.owner}`), ['derive:/sum writer, pid 42', 'track:7 writer, pid 42']);
    const own = buildGraphView(snapshot(['/flag']), EMPTY_DEFINITIONS, () => undefined);
    assert.ok(own.nodes.every((n) => n.owner === undefined));
    const diff = diffGraphViews(own, app);
    assert.deepEqual(diff.changedNodes.map((n) => n.id), ['derive:/sum', 'track:7']);
    assert.deepEqual(applyGraphDiff(own, diff), app);
  });

  it('labels a tracker of other code by its name when the snapshot has one, else by its id', () => {
    const named = snapshot(['/flag']);
    named.nodes = named.nodes.map((n) => (n.kind === 'tracker' ? { ...n, name: 'summary' } : n));
    const label = (view: ReturnType<typeof buildGraphView>) => view.nodes.find((n) => n.id === 'track:7')?.label;
    assert.equal(label(buildGraphView(named, EMPTY_DEFINITIONS, () => undefined, undefined, 'writer, pid 42')), 'summary');
    assert.equal(label(buildGraphView(snapshot(['/flag']), EMPTY_DEFINITIONS, () => undefined, undefined, 'writer, pid 42')), 'track:7');
  });
});
