import type { CauseChain, GraphView } from '../extension/protocol';

// What the graph highlights around a selected node and along a run's cause chain. No DOM here, so the unit
// tests run it in plain Node.

export interface Neighbourhood {
  /** Everything the node depends on, directly or through other nodes. */
  readonly upstream: ReadonlySet<string>;
  /** Everything that depends on the node, directly or through other nodes. */
  readonly downstream: ReadonlySet<string>;
  /** The edges on the way to and from the node, by edge id. */
  readonly edges: ReadonlyMap<string, 'upstream' | 'downstream'>;
}

interface Adjacency {
  readonly incoming: ReadonlyMap<string, readonly { readonly id: string; readonly from: string }[]>;
  readonly outgoing: ReadonlyMap<string, readonly { readonly id: string; readonly to: string }[]>;
}

const adjacencies = new WeakMap<GraphView, Adjacency>();

function adjacencyOf(graph: GraphView): Adjacency {
  let found = adjacencies.get(graph);
  if (found) return found;
  const incoming = new Map<string, { id: string; from: string }[]>();
  const outgoing = new Map<string, { id: string; to: string }[]>();
  for (const edge of graph.edges) {
    let into = incoming.get(edge.to);
    if (!into) incoming.set(edge.to, into = []);
    into.push({ id: edge.id, from: edge.from });
    let out = outgoing.get(edge.from);
    if (!out) outgoing.set(edge.from, out = []);
    out.push({ id: edge.id, to: edge.to });
  }
  found = { incoming, outgoing };
  adjacencies.set(graph, found);
  return found;
}

/** The nodes and edges upstream and downstream of `id`, followed transitively (the graph may have cycles). */
export function neighbourhoodOf(graph: GraphView, id: string): Neighbourhood {
  const { incoming, outgoing } = adjacencyOf(graph);
  const edges = new Map<string, 'upstream' | 'downstream'>();
  const upstream = new Set<string>();
  const downstream = new Set<string>();
  const pending = [id];
  while (pending.length > 0) {
    const current = pending.pop() as string;
    for (const edge of incoming.get(current) ?? []) {
      edges.set(edge.id, 'upstream');
      if (edge.from === id || upstream.has(edge.from)) continue;
      upstream.add(edge.from);
      pending.push(edge.from);
    }
  }
  pending.push(id);
  while (pending.length > 0) {
    const current = pending.pop() as string;
    for (const edge of outgoing.get(current) ?? []) {
      if (!edges.has(edge.id)) edges.set(edge.id, 'downstream');
      if (edge.to === id || downstream.has(edge.to)) continue;
      downstream.add(edge.to);
      pending.push(edge.to);
    }
  }
  return { upstream, downstream, edges };
}

/** The nodes and edges of a cause chain that the graph has: from the first changed path to what the run wrote. */
export function chainOnGraph(graph: GraphView, chain: CauseChain): { nodes: Set<string>; edges: Set<string> } {
  const nodeIds = new Set(graph.nodes.map((node) => node.id));
  const edgeIds = new Set(graph.edges.map((edge) => edge.id));
  const nodes = new Set<string>();
  const edges = new Set<string>();
  const last = chain.steps[chain.steps.length - 1];
  const pairs: [string, string][] = [];
  for (let index = 1; index < chain.steps.length; index++) pairs.push([chain.steps[index - 1] as string, chain.steps[index] as string]);
  if (last !== undefined) for (const write of chain.writes) pairs.push([last, write]);
  for (const id of [...chain.steps, ...chain.writes]) if (nodeIds.has(id)) nodes.add(id);
  for (const [from, to] of pairs) {
    const id = `${from}->${to}`;
    if (edgeIds.has(id)) edges.add(id);
  }
  return { nodes, edges };
}
