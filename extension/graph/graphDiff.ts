import type { GraphDiff, GraphView, GraphViewNode } from '../protocol';

// Diffing graph views: the host sends diffs, the webview applies them. This file imports only the protocol's
// types, so the webview bundle includes it as well.

function sameNode(a: GraphViewNode, b: GraphViewNode): boolean {
  return a.kind === b.kind && a.label === b.label && a.runCount === b.runCount && a.lastRunMs === b.lastRunMs
    && a.lastError === b.lastError && a.inactive === b.inactive && a.owner === b.owner;
}

/** The changes that turn `before` into `after`. */
export function diffGraphViews(before: GraphView, after: GraphView): GraphDiff {
  const oldNodes = new Map(before.nodes.map((node) => [node.id, node]));
  const newNodes = new Map(after.nodes.map((node) => [node.id, node]));
  const oldEdges = new Map(before.edges.map((e) => [e.id, e]));
  const newEdges = new Map(after.edges.map((e) => [e.id, e]));
  const addedNodes: GraphViewNode[] = [];
  const changedNodes: GraphViewNode[] = [];
  for (const node of after.nodes) {
    const old = oldNodes.get(node.id);
    if (!old) addedNodes.push(node);
    else if (!sameNode(old, node)) changedNodes.push(node);
  }
  const removedEdges: string[] = [];
  for (const e of before.edges) {
    const now = newEdges.get(e.id);
    // An edge whose kind changed is removed and added again, so the webview draws it anew.
    if (!now || now.kind !== e.kind) removedEdges.push(e.id);
  }
  return {
    addedNodes,
    removedNodes: before.nodes.filter((node) => !newNodes.has(node.id)).map((node) => node.id),
    changedNodes,
    addedEdges: after.edges.filter((e) => oldEdges.get(e.id)?.kind !== e.kind),
    removedEdges,
  };
}

export function isEmptyDiff(diff: GraphDiff): boolean {
  return diff.addedNodes.length === 0 && diff.removedNodes.length === 0 && diff.changedNodes.length === 0
    && diff.addedEdges.length === 0 && diff.removedEdges.length === 0;
}

/** Applies a diff: the webview keeps its graph this way, and the tests check it gives the new view. */
export function applyGraphDiff(view: GraphView, diff: GraphDiff): GraphView {
  if (diff.addedNodes.length + diff.removedNodes.length + diff.addedEdges.length + diff.removedEdges.length === 0) {
    // Only statistics changed, as after every run: the order stays, and a big graph is not sorted again.
    if (diff.changedNodes.length === 0) return view;
    const changed = new Map(diff.changedNodes.map((node) => [node.id, node]));
    return { nodes: view.nodes.map((node) => changed.get(node.id) ?? node), edges: view.edges };
  }
  const nodes = new Map(view.nodes.map((node) => [node.id, node]));
  for (const id of diff.removedNodes) nodes.delete(id);
  for (const node of [...diff.addedNodes, ...diff.changedNodes]) nodes.set(node.id, node);
  const edges = new Map(view.edges.map((e) => [e.id, e]));
  for (const id of diff.removedEdges) edges.delete(id);
  for (const e of diff.addedEdges) edges.set(e.id, e);
  return {
    nodes: [...nodes.values()].sort((a, b) => a.id.localeCompare(b.id)),
    edges: [...edges.values()].sort((a, b) => a.id.localeCompare(b.id)),
  };
}
